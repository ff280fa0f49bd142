/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The interface descriptions, embedded at build time from the .varlink
 * files (tools/embed-idl) so that GetInterfaceDescription cannot drift.
 */
#ifndef STUBDMD_IDL_H
#define STUBDMD_IDL_H

extern const char idl_io_stubdm[];
extern const char idl_org_varlink_service[];

#endif
