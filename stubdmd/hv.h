/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hypervisor interface: what stubdmd needs from Xen, behind one table
 * of operations so that the simulated host can stand in for it in tests.
 * Every operation returns 0 or a negative errno; the caller logs.
 */
#ifndef STUBDMD_HV_H
#define STUBDMD_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/* Xen's SHUTDOWN_* reason codes (xen/sched.h). */
enum hv_shutdown {
	HV_SHUTDOWN_POWEROFF = 0,
	HV_SHUTDOWN_REBOOT = 1,
	HV_SHUTDOWN_SUSPEND = 2,
	HV_SHUTDOWN_CRASH = 3,
	HV_SHUTDOWN_WATCHDOG = 4,
	HV_SHUTDOWN_SOFT_RESET = 5,
};

/* One domain as xc_domain_getinfolist reports it. */
struct hv_dominfo {
	uint32_t	domid;
	bool		hvm;		/* XEN_DOMINF_hvm_guest */
	bool		paused;
	bool		shutdown;
	bool		dying;
	int		shutdown_reason; /* enum hv_shutdown, if shutdown */
	uint32_t	emu_flags;	/* arch_config.emulation_flags */
	uint64_t	cpu_ns;		/* > 0: the domain has run */
	uint64_t	mem_kib;
	uint8_t		uuid[16];
};

/*
 * A guest's disks and NICs, as its toolstack wrote their PV backends
 * (devices.c reads and checks them): plain data of fixed size, so that a
 * build spec can be copied or sent whole.
 */
#define HV_DISKS_MAX	16
#define HV_NICS_MAX	8
#define HV_PARAMS_MAX	256	/* a disk's target, a vif's script */
#define HV_IFNAME_MAX	16	/* IFNAMSIZ */

enum hv_disk_backend {
	HV_DISK_PHY,		/* blkback on a block device */
	HV_DISK_QDISK,		/* QEMU's xen-block in the backend domain */
	HV_DISK_TAP,		/* tapdisk */
};

enum hv_disk_format {
	HV_FORMAT_RAW,
	HV_FORMAT_QCOW,
	HV_FORMAT_QCOW2,
	HV_FORMAT_VHD,
	HV_FORMAT_EMPTY,	/* a CD-ROM drive with no medium */
};

struct hv_disk {
	uint32_t	 backend_domid;
	uint32_t	 devid;		/* virtual-device number */
	unsigned	 index;		/* hda/xvda/sda = 0, ...b = 1 ... */
	enum hv_disk_backend backend;
	enum hv_disk_format format;
	bool		 readwrite;
	bool		 cdrom;
	char		 vdev[8];	/* "hda", "xvdb", "sdc" */
	char		 target[HV_PARAMS_MAX];	/* path, without format */
};

struct hv_nic {
	uint32_t	 backend_domid;
	uint32_t	 devid;
	bool		 emulated;	/* type vif_ioemu: QEMU gets a NIC */
	char		 mac[18];	/* "00:16:3e:xx:xx:xx" */
	char		 bridge[HV_IFNAME_MAX];
	char		 ifname[HV_IFNAME_MAX];	/* the guest's vifname or "" */
	char		 model[32];	/* QEMU's device, "rtl8139" */
	char		 script[HV_PARAMS_MAX];	/* "" : the default */
};

struct hv_devices {
	unsigned	 ndisks;
	unsigned	 nnics;
	struct hv_disk	 disks[HV_DISKS_MAX];
	struct hv_nic	 nics[HV_NICS_MAX];
};

/* What a stub domain is built from. */
struct hv_stub_spec {
	const char	*name;		/* "<guest>-dm" */
	uint8_t		 uuid[16];	/* chosen by stubdmd: finds it again */
	uint32_t	 target;	/* the guest */
	unsigned	 memory_mib;
	unsigned	 vcpus;
	const char	*kernel;
	const char	*ramdisk;	/* "" or NULL: none */
	const char	*cmdline;
	/*
	 * Rebuilding a stub libxl built for the target: what is empty above
	 * comes from libxl's saved configuration of the target.
	 */
	bool		 from_libxl;
	/*
	 * Own mode: the guest's disks and NICs, given to the stub as libxl
	 * gives a guest's to its stub (the same disks, the NICs as vifs
	 * named "<ifname>-emu").  Empty for a spare and for from_libxl,
	 * whose devices come from libxl's records of the guest.
	 */
	struct hv_devices devices;
	/*
	 * Own mode: where the guest's serial port goes ("": nowhere), as
	 * xl.cfg's serial ("pty", "file:PATH").  The stub gets libxl's
	 * consoles 1 and 2 and this one as console 3, QEMU -serial
	 * /dev/hvc3 (spawn.h); a dom0 QEMU serves them.
	 */
	const char	*serial;
	/*
	 * Own mode: a file in dom0 whose bytes the stub's console 2 reads
	 * (a device state saved by xen-save-devices-state, which QEMU's
	 * -incoming loads), as libxl gives its stub a restore stream; ""
	 * or NULL: none.
	 */
	const char	*restore;
	/*
	 * A pooled spare, built before its guest exists: the backend gives
	 * it what later serves the consoles and qdisk disks attach() adds
	 * (with libxl: a dom0 QEMU, which libxl starts only at a build).
	 */
	bool		 spare;
};

/*
 * A build completes later, from the event loop: err is 0 and domid the new
 * (paused) domain, or err < 0 and why says what failed.
 */
typedef void hv_build_cb(void *arg, int err, uint32_t domid, const char *why);

/*
 * A listing completes later, from the event loop: err is 0 and v (the
 * callback's to free) holds n domains, or err < 0.
 */
typedef void hv_list_cb(void *arg, int err, struct hv_dominfo *v, size_t n);

/*
 * A domain control done, from the event loop: err 0 or a negative errno.
 * -ECANCELED: the backend closed before it could say (the control was
 * made; the caller's state may be gone, so arg is only to be freed).
 */
typedef void hv_done_cb(void *arg, int err);

/* The most builder processes a backend runs at once (policy: builders). */
#define HV_BUILDERS_MAX		16

struct hv;
struct hv_ops {
	const char *name;
	/*
	 * Every domain from domid first up, sorted by domid, at once: for
	 * start-up, before the loop serves anything (it may take a while).
	 */
	int	(*list)(struct hv *, uint32_t first, struct hv_dominfo **out,
		    size_t *n);
	/*
	 * The same listing off the event loop (lister.c), reported to cb
	 * from the loop; never one begun before the daemon's last change to
	 * a domain through this table.  One at a time (-EBUSY).  NULL:
	 * hv_list_start lists at once.
	 */
	int	(*list_start)(struct hv *, uint32_t first, hv_list_cb *cb,
		    void *arg);
	int	(*build)(struct hv *, const struct hv_stub_spec *,
		    hv_build_cb *cb, void *arg);
	int	(*set_target)(struct hv *, uint32_t stub, uint32_t guest);
	/*
	 * Domain controls, made off the event loop (a hypercall that makes
	 * Xen do work, an unpause that wakes vCPUs, takes hundreds of ms
	 * under TCG): 0 and cb(arg, err) later from the loop (cb may be
	 * NULL), or a negative errno at once (cb is never called).  They
	 * are made in the order given, destroys included; a listing begun
	 * before one has taken effect is not delivered (list_start).  A
	 * domain being destroyed is never unpaused (-ESRCH).
	 */
	int	(*pause)(struct hv *, uint32_t domid, hv_done_cb *cb, void *arg);
	int	(*unpause)(struct hv *, uint32_t domid, hv_done_cb *cb,
		    void *arg);
	int	(*shutdown)(struct hv *, uint32_t domid, enum hv_shutdown why,
		    hv_done_cb *cb, void *arg);
	/*
	 * 0: the domain is going, stopped at once off the loop, then
	 * destroyed (the backend logs a failure; a domain already gone is
	 * none); listings show it dying from now on.
	 */
	int	(*destroy)(struct hv *, uint32_t domid);
	/*
	 * A running spare taken by a guest gets the spec's devices and
	 * serial console, as a build would have given them; cb reports
	 * (domid: the stub).  NULL: spares serve device-less guests only.
	 */
	int	(*attach)(struct hv *, uint32_t stub,
		    const struct hv_stub_spec *, hv_build_cb *cb, void *arg);
	/*
	 * A running stub loses the spec's disks (a CD's medium that attach
	 * gave it); cb reports (domid: the stub).  attach and detach read
	 * only the spec's name (for logs), devices and serial.  NULL: the
	 * backend cannot.
	 */
	int	(*detach)(struct hv *, uint32_t stub,
		    const struct hv_stub_spec *, hv_build_cb *cb, void *arg);
	/*
	 * A spare from the pool becomes "<guest>-dm" (NULL: not renamed).
	 * It may be done later, off the loop (Xen: in order with the
	 * listings); the backend logs a failure it learns of then.
	 */
	int	(*rename)(struct hv *, uint32_t domid, const char *name);
	/*
	 * The last lines the domain printed on its console (malloc'd).  name
	 * is what the daemon calls it ("<guest>-dm"), for a backend that
	 * does not know the domain's name itself; it asks nobody else (the
	 * call is on the event loop).
	 */
	char	*(*console_tail)(struct hv *, uint32_t domid, const char *name,
		    unsigned lines);
	/*
	 * A stream to the QMP monitor of guest's device model in stub
	 * (libxl: a stub libxl built, which stubdmd adopted): 0 and *fd, a
	 * non-blocking socket that may still be connecting, or a negative
	 * errno.  Everything read from it is untrusted (qmp.c).  NULL: the
	 * backend offers none, and device models are not probed.
	 */
	int	(*dm_connect)(struct hv *, uint32_t guest, uint32_t stub,
		    bool libxl, int *fd);
	/*
	 * A stream to what stub serves for its target guest under its
	 * device-model/<guest>/<name> (the guest's screen): 0 and *fd, a
	 * non-blocking stream socket that may still be connecting (with
	 * Xen, one end of vchan.c's bridge to the stub's vchan server; a
	 * UNIX socket on the simulated host), or a negative errno.  Quick:
	 * it fails rather than waits for a server.  NULL: the backend has
	 * none.
	 */
	int	(*chan_open)(struct hv *, uint32_t stub, uint32_t guest,
		    const char *name, int *fd);
	/*
	 * One domain as the listing would show it, now: 0, -ESRCH (no such
	 * domain) or a negative errno.  NULL: the backend cannot.
	 */
	int	(*dominfo)(struct hv *, uint32_t domid, struct hv_dominfo *out);
	/*
	 * The directory in dom0 of a stub's console 1 file, the device
	 * model's save file qemu-save.<guest>, and of the restore stream
	 * qemu-resume.<guest> its console 2 reads (Xen: /var/lib/xen, as
	 * libxl).  NULL: device states do not move on this backend.
	 */
	const char *(*state_dir)(struct hv *);
	/* Once start-up is done, before the first build (NULL: nothing). */
	int	(*start)(struct hv *);
	/*
	 * At most n builds, attaches and destroys at once (1 to
	 * HV_BUILDERS_MAX): the policy's builders, at start and at every
	 * reload.  NULL: the backend has no such bound.
	 */
	void	(*set_builders)(struct hv *, unsigned n);
	void	(*close)(struct hv *);
};

struct hv {
	const struct hv_ops	*ops;
	struct event_base	*base;
	/* The longest any one backend call held up the event loop. */
	uint64_t		 max_stall_us;
};

/* Backends: NULL and *err set (malloc'd) on failure. */
struct hv *hv_sim_open(struct event_base *base, const char *rundir,
	    char **err);
struct hv *hv_xen_open(struct event_base *base, char **err);

/* ops->list_start, or ops->list reported to cb at once. */
int	hv_list_start(struct hv *hv, uint32_t first, hv_list_cb *cb,
	    void *arg);
/* A listing in domid order; a domain in such a listing (NULL: absent). */
void	hv_list_sort(struct hv_dominfo *v, size_t n);
const struct hv_dominfo *hv_list_find(const struct hv_dominfo *v, size_t n,
	    uint32_t domid);
/* A guest that needs a device model: HVM with device emulation (not PVH). */
bool	hv_needs_device_model(const struct hv_dominfo *d);
const char *hv_shutdown_name(int reason);
void	hv_uuid_format(const uint8_t uuid[16], char out[37]);
/*
 * A non-blocking stream connection to the UNIX socket at path (it may
 * still be connecting): 0 and *fd, or a negative errno.
 */
int	hv_connect_unix(const char *path, int *fd);
/* A random (version 4) UUID; -EIO if the kernel gave no randomness. */
int	hv_uuid_random(uint8_t uuid[16]);
int	hv_uuid_parse(const char *s, uint8_t uuid[16]);
/*
 * The last `lines` lines of a console's text, in place: without CRs (a
 * serial console ends every line with CR LF) or trailing newlines, made
 * printable; one pass each, whatever the console wrote.  Returns buf.
 */
char	*hv_console_last_lines(char *buf, unsigned lines);

#endif
