/* SPDX-License-Identifier: GPL-2.0-only */
/* The control protocol (io.stubdm.varlink), shared by stubdmd and stubdmctl. */
#ifndef STUBDMD_PROTO_H
#define STUBDMD_PROTO_H

/*
 * Varlink framing: each message is one JSON object followed by a NUL byte.
 * A call is {"method": M, "parameters": {...}} with optional "more" and
 * "oneway"; a reply is {"parameters": {...}} or {"error": E, "parameters":
 * {...}}, with "continues": true on all but the last of a streamed reply.
 */

/* The built-in control_socket of the policy, and stubdmctl's default. */
#define PROTO_SOCKET_DEFAULT	"/run/stubdmd/stubdmd.sock"
/* stubdmd -f's default; stubdmctl reads its control_socket from it. */
#define PROTO_POLICY_DEFAULT	"/etc/stubdmd.ini"

#define PROTO_INTERFACE		"io.stubdm"
#define PROTO_INTERFACE_VERSION	5

/* A call larger than this is refused before it is buffered. */
#define PROTO_CALL_MAX		(64 * 1024)
/* What a client accepts in one reply (a List of many guests). */
#define PROTO_REPLY_MAX		(16 * 1024 * 1024)

#define PROTO_GET_INFO		PROTO_INTERFACE ".GetInfo"
#define PROTO_LIST		PROTO_INTERFACE ".List"
#define PROTO_STATUS		PROTO_INTERFACE ".Status"
#define PROTO_START		PROTO_INTERFACE ".Start"
#define PROTO_STOP		PROTO_INTERFACE ".Stop"
#define PROTO_RESTART		PROTO_INTERFACE ".Restart"
#define PROTO_RELOAD		PROTO_INTERFACE ".Reload"
#define PROTO_EVENTS		PROTO_INTERFACE ".Events"
#define PROTO_STATS		PROTO_INTERFACE ".Stats"
#define PROTO_SET_LOG_LEVEL	PROTO_INTERFACE ".SetLogLevel"
#define PROTO_METRICS		PROTO_INTERFACE ".Metrics"
#define PROTO_CONSOLE		PROTO_INTERFACE ".Console"
#define PROTO_CD_INSERT		PROTO_INTERFACE ".CdInsert"
#define PROTO_CD_EJECT		PROTO_INTERFACE ".CdEject"
#define PROTO_SAVE_STATE	PROTO_INTERFACE ".SaveDeviceState"
#define PROTO_RESTORE_STATE	PROTO_INTERFACE ".RestoreDeviceState"

/* Error names: stable, never reused for something else. */
#define PROTO_E_NO_SUCH_GUEST	PROTO_INTERFACE ".NoSuchGuest"
#define PROTO_E_NOT_SUPERVISED	PROTO_INTERFACE ".NotSupervised"
#define PROTO_E_PERMISSION	PROTO_INTERFACE ".PermissionDenied"
#define PROTO_E_POLICY_REJECTED	PROTO_INTERFACE ".PolicyRejected"
#define PROTO_E_INVALID_PARAM	PROTO_INTERFACE ".InvalidParameter"
#define PROTO_E_NO_METHOD	PROTO_INTERFACE ".MethodNotFound"
#define PROTO_E_INVALID_MSG	PROTO_INTERFACE ".InvalidMessage"
#define PROTO_E_TOO_LARGE	PROTO_INTERFACE ".MessageTooLarge"
#define PROTO_E_TOO_MANY_CONNS	PROTO_INTERFACE ".TooManyConnections"
#define PROTO_E_NO_SCREEN	PROTO_INTERFACE ".NoScreen"
#define PROTO_E_NO_SUCH_DRIVE	PROTO_INTERFACE ".NoSuchDrive"
#define PROTO_E_INVALID_MEDIUM	PROTO_INTERFACE ".InvalidMedium"
#define PROTO_E_NOT_RUNNING	PROTO_INTERFACE ".NotRunning"
#define PROTO_E_DM_NOT_ANSWERING	PROTO_INTERFACE ".DeviceModelNotAnswering"
#define PROTO_E_MEDIA_UNSUPPORTED	PROTO_INTERFACE ".MediaUnsupported"
#define PROTO_E_MEDIA_FAILED	PROTO_INTERFACE ".MediaChangeFailed"
#define PROTO_E_STATE_UNSUPPORTED	PROTO_INTERFACE ".DeviceStateUnsupported"
#define PROTO_E_NOT_PAUSED	PROTO_INTERFACE ".GuestNotPaused"
#define PROTO_E_INVALID_STATE_FILE	PROTO_INTERFACE ".InvalidStateFile"
#define PROTO_E_STATE_FAILED	PROTO_INTERFACE ".DeviceStateFailed"

/* The interface every Varlink service answers (the Varlink specification). */
#define PROTO_SERVICE		"org.varlink.service"
#define PROTO_SERVICE_GET_INFO	PROTO_SERVICE ".GetInfo"
#define PROTO_SERVICE_GET_IDL	PROTO_SERVICE ".GetInterfaceDescription"
#define PROTO_SERVICE_E_NO_INTERFACE	PROTO_SERVICE ".InterfaceNotFound"
#define PROTO_SERVICE_E_NO_METHOD	PROTO_SERVICE ".MethodNotFound"
#define PROTO_SERVICE_E_INVALID_PARAM	PROTO_SERVICE ".InvalidParameter"

#endif
