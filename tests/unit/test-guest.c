/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests of the guest state machine (fake clock) and its record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmd/guest.h"
#include "stubdmd/persist.h"
#include "tests/unit/unit.h"

static struct policy_settings
cfg_default(void)
{
	struct policy_settings c = {
		.stubdom = true,
		.restart = POLICY_RESTART_ON_FAILURE,
		.max_restarts = 3,
		.restart_window_ms = 60000,
		.backoff_initial_ms = 100,
		.backoff_max_ms = 1000,
		.start_timeout_ms = 5000,
		.unpause_guest = true,
	};

	return c;
}

/* A guest brought to RUNNING with stub 11 at time 1000. */
static void
running_guest(struct guest *g, const struct policy_settings *c,
    struct guest_env *e)
{
	guest_init(g, 5, "web1", "", c);
	e->now = 1000;
	guest_on_detected(g, e);
	guest_on_built(g, e, 11);
	guest_on_stub_started(g, e);
	guest_on_ready(g, e);
}

static void
test_start(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 1000, 0, 0 };
	struct guest g;
	unsigned a;

	guest_init(&g, 5, "web1", "", &c);
	a = guest_on_detected(&g, &e);
	CHECK(g.state == GUEST_SPAWNING && a == GUEST_DO_BUILD,
	    "detected => spawning, build");
	a = guest_on_built(&g, &e, 11);
	CHECK(g.state == GUEST_STARTING &&
	    a == (GUEST_DO_START_STUB | GUEST_DO_TIMER) && g.stub_domid == 11,
	    "built => starting, start stub, arm start timeout");
	CHECK(g.deadline == 6000, "start timeout deadline = now + start_timeout");
	guest_on_stub_started(&g, &e);
	CHECK(g.starts == 1, "a started stub uses an ioreq slot");
	a = guest_on_ready(&g, &e);
	CHECK(g.state == GUEST_RUNNING && a == GUEST_DO_UNPAUSE_GUEST,
	    "ready => running, unpause the never-run guest");
	CHECK(guest_on_ready(&g, &e) == 0, "a second ready event does nothing");
	guest_release(&g);

	c.unpause_guest = false;
	running_guest(&g, &c, &e);
	CHECK(g.state == GUEST_RUNNING, "unpause_guest = no: running");
	guest_release(&g);

	c = cfg_default();
	c.stubdom = false;
	guest_init(&g, 5, "web1", "", &c);
	a = guest_on_detected(&g, &e);
	CHECK(g.state == GUEST_IGNORED && a == 0, "stubdom = no => ignored");
	guest_release(&g);
}

static void
test_never_ready(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 0, 0, 0 };
	struct guest g;
	unsigned a;

	guest_init(&g, 5, "web1", "", &c);
	e.now = 1000;
	guest_on_detected(&g, &e);
	guest_on_built(&g, &e, 11);
	e.now = 5999;
	a = guest_on_timer(&g, &e);
	CHECK(a == GUEST_DO_TIMER && g.state == GUEST_STARTING,
	    "early timer: re-armed, still starting");
	e.now = 6000;
	a = guest_on_timer(&g, &e);
	CHECK(a == (GUEST_DO_DESTROY_STUB | GUEST_DO_TIMER) &&
	    g.state == GUEST_BACKOFF && g.last_exit == GUEST_EXIT_NEVER_READY,
	    "start timeout => destroy stub, back off, never-ready");
	CHECK(g.deadline == 6100, "first back-off = backoff_initial");
	e.now = 6100;
	a = guest_on_timer(&g, &e);
	CHECK(a == GUEST_DO_BUILD && g.state == GUEST_SPAWNING &&
	    g.restarts == 1, "back-off over => rebuild, restarts = 1");
	guest_release(&g);
}

static void
test_backoff(void)
{
	struct policy_settings c = cfg_default();
	uint32_t r;
	int ok = 1;

	CHECK(guest_backoff_ms(&c, 0, 0) == 100, "step 0: backoff_initial");
	CHECK(guest_backoff_ms(&c, 1, 0) == 200, "step 1: doubled");
	CHECK(guest_backoff_ms(&c, 3, 0) == 800, "step 3: 8x");
	CHECK(guest_backoff_ms(&c, 4, 0) == 1000, "step 4: capped at max");
	CHECK(guest_backoff_ms(&c, 60, 0) == 1000, "huge step: no overflow");
	for (r = 0; r < 5000; r += 7)
		if (guest_backoff_ms(&c, 1, r) < 200 ||
		    guest_backoff_ms(&c, 1, r) > 220 ||
		    guest_backoff_ms(&c, 9, r) != 1000)
			ok = 0;
	CHECK(ok, "jitter is at most 10% and never past backoff_max");
}

/* Crash the running stub of g once, then let the back-off run out. */
static unsigned
crash_once(struct guest *g, struct guest_env *e)
{
	unsigned a = guest_on_stub_died(g, e, GUEST_EXIT_CRASHED, "crash");

	g->stub_domid = -1;
	if (g->state == GUEST_BACKOFF) {
		e->now = g->deadline;
		guest_on_timer(g, e);
		guest_on_built(g, e, 12);
		guest_on_stub_started(g, e);
		guest_on_ready(g, e);
	}
	return a;
}

static void
test_restart_limits(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 0, 0, 0 };
	struct guest g;
	unsigned a, i;

	c.unpause_guest = false;	/* the guest never runs */
	running_guest(&g, &c, &e);
	CHECK(g.restart_log == NULL, "a guest that never restarted holds no "
	    "restart log");
	for (i = 0; i < 3; i++)
		a = crash_once(&g, &e);
	CHECK(g.restarts == 3 && g.state == GUEST_RUNNING,
	    "three crashes, three restarts");
	a = crash_once(&g, &e);
	CHECK(g.state == GUEST_FAILED && (a & GUEST_DO_GIVEUP) &&
	    strstr(g.reason, "max_restarts = 3") != NULL,
	    "fourth crash within the window => failed, give up");
	guest_release(&g);

	running_guest(&g, &c, &e);
	for (i = 0; i < 3; i++)
		crash_once(&g, &e);
	e.now += c.restart_window_ms + 1;
	a = crash_once(&g, &e);
	CHECK(g.state == GUEST_RUNNING && g.restarts == 4,
	    "restarts older than restart_window do not count");
	guest_release(&g);

	c.max_restarts = 50;
	running_guest(&g, &c, &e);
	for (i = 0; i < 20 && g.state != GUEST_FAILED; i++)
		a = crash_once(&g, &e);
	CHECK(g.state == GUEST_FAILED && g.starts == GUEST_IOREQ_SLOTS &&
	    strstr(g.reason, "ioreq") != NULL,
	    "never more stubs than the guest's 8 ioreq-server slots");
	guest_release(&g);
}

static void
test_restart_modes(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 0, 0, 0 };
	struct guest g;
	unsigned a;

	c.unpause_guest = false;
	c.restart = POLICY_RESTART_NEVER;
	running_guest(&g, &c, &e);
	a = guest_on_stub_died(&g, &e, GUEST_EXIT_CRASHED, "x");
	CHECK(g.state == GUEST_FAILED && (a & GUEST_DO_GIVEUP),
	    "restart = never: give up at once");
	guest_release(&g);

	c.restart = POLICY_RESTART_ON_FAILURE;
	running_guest(&g, &c, &e);
	a = guest_on_stub_died(&g, &e, GUEST_EXIT_SHUTDOWN, "x");
	CHECK(g.state == GUEST_FAILED && a == GUEST_DO_DESTROY_STUB,
	    "on-failure: a clean exit is not restarted");
	guest_release(&g);

	c.restart = POLICY_RESTART_ALWAYS;
	running_guest(&g, &c, &e);
	a = guest_on_stub_died(&g, &e, GUEST_EXIT_SHUTDOWN, "x");
	CHECK(g.state == GUEST_BACKOFF && (a & GUEST_DO_TIMER),
	    "always: a clean exit is restarted");
	guest_release(&g);
}

static void
test_build_failures(void)
{
	static const int permanent[] = { -ENAMETOOLONG, -ENOENT, -ENOEXEC,
	    -E2BIG, -EINVAL };
	static const int transient[] = { -EIO, -ENOMEM, -ETIMEDOUT, -EAGAIN,
	    -EPROTO, -ESRCH, 0 };
	struct policy_settings c = cfg_default();
	struct guest_env e = { 1000, 0, 0 };
	struct guest g;
	size_t i;
	unsigned a;
	int ok = 1;

	for (i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		ok &= guest_build_error_permanent(permanent[i]);
	for (i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		ok &= !guest_build_error_permanent(transient[i]);
	CHECK(ok, "name, missing file, bad image, bad spec: permanent; "
	    "I/O, memory, timeout, protocol: transient");

	guest_init(&g, 5, "web1", "", &c);
	guest_on_detected(&g, &e);
	a = guest_on_build_failed(&g, &e, -ENOENT, "kernel /k: No such file");
	CHECK(g.state == GUEST_FAILED && a == GUEST_DO_GIVEUP &&
	    g.restarts == 0 && g.last_exit == GUEST_EXIT_BUILD_FAILED &&
	    strcmp(g.reason, "permanent build failure: kernel /k: No such "
	    "file") == 0, "a permanent build failure gives up at once");
	a = guest_on_start(&g, &e);
	CHECK(g.state == GUEST_SPAWNING && a == GUEST_DO_BUILD,
	    "the operator's start builds again (after fixing the cause)");
	guest_release(&g);

	guest_init(&g, 5, "web1", "", &c);
	guest_on_detected(&g, &e);
	a = guest_on_build_failed(&g, &e, -EIO, "injected");
	CHECK(g.state == GUEST_BACKOFF && a == GUEST_DO_TIMER &&
	    strcmp(g.reason, "injected") == 0,
	    "a transient build failure backs off and retries");
	for (i = 0; i < 10 && g.state == GUEST_BACKOFF; i++) {
		e.now = g.deadline;
		guest_on_timer(&g, &e);
		a = guest_on_build_failed(&g, &e, -EIO, "injected");
	}
	CHECK(g.state == GUEST_FAILED && (a & GUEST_DO_GIVEUP) &&
	    g.restarts == c.max_restarts &&
	    strstr(g.reason, "max_restarts = 3") != NULL,
	    "transient failures give up after max_restarts retries");
	guest_release(&g);

	running_guest(&g, &c, &e);
	guest_observe_ran(&g);
	guest_on_stop(&g, &e);
	guest_on_start(&g, &e);
	a = guest_on_build_failed(&g, &e, -ENOENT, "kernel /k");
	CHECK(g.state == GUEST_FAILED && (a & GUEST_DO_DM_DEATH) &&
	    !(a & GUEST_DO_GIVEUP),
	    "a guest that ran: on_dm_death, permanent or not");
	guest_release(&g);

	guest_init(&g, 5, "web1", "", &c);
	guest_on_detected(&g, &e);
	guest_on_built(&g, &e, 11);
	a = guest_on_build_failed(&g, &e, -E2BIG, "dmargs: too long");
	CHECK(g.state == GUEST_FAILED &&
	    a == (GUEST_DO_DESTROY_STUB | GUEST_DO_GIVEUP),
	    "a permanent set-up failure destroys the stub and gives up");
	guest_release(&g);
}

static void
test_dm_hang(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 0, 0, 0 };
	struct guest g;
	unsigned a;

	running_guest(&g, &c, &e);
	guest_observe_ran(&g);
	a = guest_on_hung(&g, &e, "device model hung");
	CHECK(a == GUEST_DO_DM_HANG && g.state == GUEST_FAILED &&
	    g.last_exit == GUEST_EXIT_HUNG && g.stub_domid >= 0 &&
	    strcmp(g.reason, "device model hung") == 0,
	    "hung after the guest ran: on_dm_hang, the stub kept");
	CHECK(guest_on_hung(&g, &e, "again") == 0,
	    "a second hang report does nothing");
	guest_release(&g);

	running_guest(&g, &c, &e);
	a = guest_on_hung(&g, &e, "device model hung");
	CHECK(a == (GUEST_DO_DESTROY_STUB | GUEST_DO_TIMER) &&
	    g.state == GUEST_BACKOFF && g.last_exit == GUEST_EXIT_HUNG,
	    "hung, never ran: destroyed and rebuilt after a back-off");
	guest_release(&g);

	guest_init(&g, 5, "web1", "", &c);
	guest_on_detected(&g, &e);
	CHECK(guest_on_hung(&g, &e, "x") == 0 && g.state == GUEST_SPAWNING,
	    "no hang outside running");
	guest_release(&g);
}

static void
test_dm_death(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 0, 0, 0 };
	struct guest g;
	unsigned a;

	running_guest(&g, &c, &e);
	guest_observe_ran(&g);
	a = guest_on_stub_died(&g, &e, GUEST_EXIT_CRASHED, "stub crashed");
	CHECK(a == (GUEST_DO_DESTROY_STUB | GUEST_DO_DM_DEATH) &&
	    g.state == GUEST_FAILED && g.restarts == 0,
	    "guest has run: on_dm_death, no rebuild");
	CHECK(g.last_exit == GUEST_EXIT_CRASHED &&
	    strcmp(g.reason, "stub crashed") == 0, "exit reason kept");
	a = guest_on_stub_died(&g, &e, GUEST_EXIT_CRASHED, "again");
	CHECK(a == 0, "a second death report does nothing");
	guest_release(&g);

	c.restart = POLICY_RESTART_ALWAYS;
	running_guest(&g, &c, &e);	/* unpause_guest: ran after ready */
	guest_observe_ran(&g);
	a = guest_on_stub_died(&g, &e, GUEST_EXIT_SHUTDOWN, "x");
	CHECK(a & GUEST_DO_DM_DEATH, "restart = always still never restarts "
	    "under a guest that has run");
	guest_release(&g);

	running_guest(&g, &c, &e);
	guest_observe_ran(&g);
	a = guest_on_guest_shut_down(&g, &e, "the guest shut down (poweroff)");
	CHECK(a == GUEST_DO_DESTROY_STUB && g.state == GUEST_STOPPED &&
	    g.restarts == 0, "the guest shut down: its stub goes, no "
	    "on_dm_death, no rebuild");
	CHECK(g.last_exit == GUEST_EXIT_SHUTDOWN &&
	    strcmp(g.reason, "the guest shut down (poweroff)") == 0,
	    "and the reason says so");
	CHECK(guest_on_guest_shut_down(&g, &e, "again") == 0,
	    "a second report does nothing");
	guest_release(&g);
}

/* A save or migration ends the stub: no death unless the guest runs on. */
static void
test_saved(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 0, 0, 0 };
	struct guest g;
	unsigned a;

	running_guest(&g, &c, &e);
	guest_observe_ran(&g);
	a = guest_on_guest_suspended(&g, &e, GUEST_EXIT_DESTROYED, "saved");
	CHECK(a == GUEST_DO_DESTROY_STUB && g.state == GUEST_STOPPED &&
	    g.last_exit == GUEST_EXIT_SAVED && g.restarts == 0,
	    "stub destroyed in a save: stopped, exit saved, no on_dm_death");
	CHECK(strcmp(guest_exit_name(g.last_exit), "saved") == 0,
	    "the exit is named saved");
	CHECK(guest_on_guest_suspended(&g, &e, GUEST_EXIT_DESTROYED, "x") == 0,
	    "a second report does nothing");
	a = guest_on_resumed(&g, &e, "runs again");
	CHECK(a == GUEST_DO_DM_DEATH && g.state == GUEST_FAILED,
	    "the guest runs again without a stub: on_dm_death");
	CHECK(guest_on_resumed(&g, &e, "again") == 0, "only once");
	guest_release(&g);

	running_guest(&g, &c, &e);
	guest_observe_ran(&g);
	a = guest_on_guest_suspended(&g, &e, GUEST_EXIT_CRASHED, "crash");
	CHECK(a == GUEST_DO_DESTROY_STUB && g.state == GUEST_STOPPED &&
	    g.last_exit == GUEST_EXIT_CRASHED,
	    "stub crashed in a save: kept as a crash, no action yet");
	a = guest_on_start(&g, &e);
	CHECK(guest_on_resumed(&g, &e, "x") == 0,
	    "an operator's start clears it");
	guest_release(&g);

	running_guest(&g, &c, &e);
	CHECK(guest_on_resumed(&g, &e, "x") == 0,
	    "a running guest never saved: nothing");
	guest_release(&g);
}

/* A stub replaced by one that restores a saved device state. */
static void
test_restore(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 0, 0, 0 };
	struct guest g;
	unsigned a, starts;

	running_guest(&g, &c, &e);
	starts = g.starts;
	a = guest_on_restore(&g, &e, "/var/lib/xen/qemu-resume.5");
	CHECK(a == (GUEST_DO_DESTROY_STUB | GUEST_DO_BUILD) &&
	    g.state == GUEST_SPAWNING && g.last_exit == GUEST_EXIT_REPLACED &&
	    g.restarts == 0 && g.ever_ran,
	    "restore: old stub destroyed, a new one built; no restart; ran");
	CHECK(g.restore_file != NULL &&
	    strcmp(g.restore_file, "/var/lib/xen/qemu-resume.5") == 0,
	    "the new stub's build knows the state file");
	CHECK(strcmp(guest_exit_name(g.last_exit), "replaced") == 0,
	    "the exit is named replaced");
	g.stub_domid = -1;	/* the supervisor destroyed it */
	guest_on_built(&g, &e, 12);
	guest_on_stub_started(&g, &e);
	CHECK(g.restore_file != NULL && g.starts == starts + 1,
	    "kept while it starts; one more ioreq slot used");
	a = guest_on_ready(&g, &e);
	CHECK(a == 0 && g.state == GUEST_RUNNING && g.restore_file == NULL &&
	    strstr(g.reason, "device state restored from") != NULL,
	    "ready: restored, not unpaused, the file forgotten");
	CHECK(guest_on_restore(&g, &e, "/y") != 0, "restored again later");
	g.stub_domid = -1;
	guest_on_built(&g, &e, 13);
	a = guest_on_stub_died(&g, &e, GUEST_EXIT_CRASHED, "load failed");
	CHECK((a & GUEST_DO_DM_DEATH) && g.state == GUEST_FAILED &&
	    g.restore_file == NULL,
	    "its stub dies before ready: on_dm_death, the file forgotten");
	CHECK(guest_on_restore(&g, &e, "/x") == 0 && g.state == GUEST_FAILED,
	    "no running stub: nothing to replace");
	guest_release(&g);
}

static void
test_operator_and_gone(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 0, 0, 0 };
	struct guest g;
	unsigned a;

	running_guest(&g, &c, &e);
	a = guest_on_stop(&g, &e);
	CHECK(a == GUEST_DO_DESTROY_STUB && g.state == GUEST_STOPPED,
	    "stop => destroy stub, stopped");
	g.stub_domid = -1;
	CHECK(guest_on_stub_died(&g, &e, GUEST_EXIT_CRASHED, "x") == 0,
	    "stopped: a stub death is no failure");
	a = guest_on_start(&g, &e);
	CHECK(a == GUEST_DO_BUILD && g.state == GUEST_SPAWNING,
	    "start => spawning");
	a = guest_on_stop(&g, &e);
	a = guest_on_built(&g, &e, 13);
	CHECK(a == GUEST_DO_DESTROY_STUB && g.state == GUEST_STOPPED,
	    "a build that completes after stop is destroyed");
	g.stub_domid = -1;
	a = guest_on_gone(&g, &e);
	CHECK(a == GUEST_DO_FORGET && g.state == GUEST_STOPPING,
	    "gone without a stub => forget");
	guest_release(&g);

	running_guest(&g, &c, &e);
	a = guest_on_gone(&g, &e);
	CHECK(a == (GUEST_DO_FORGET | GUEST_DO_DESTROY_STUB),
	    "gone with a stub => destroy it, forget");
	guest_release(&g);
}

static void
test_dying(void)
{
	struct policy_settings c = cfg_default();
	struct guest g;
	unsigned i;

	guest_init(&g, 5, "web1", "", &c);
	guest_add_dying(&g, 7);
	guest_add_dying(&g, 7);
	CHECK(g.ndying == 1 && guest_is_dying_stub(&g, 7),
	    "a dying stub is tracked once");
	for (i = 0; i < 20; i++)
		guest_add_dying(&g, 100 + i);
	CHECK(g.ndying == GUEST_DYING_MAX, "the dying list is bounded");
	guest_drop_dying(&g, 119);
	CHECK(!guest_is_dying_stub(&g, 119), "a vanished stub is dropped");
	guest_release(&g);
}

static void
test_persist(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 0, 0, 0 };
	struct guest g, h;
	char rec[PERSIST_RECORD_MAX], rlog_over[PERSIST_RECORD_MAX];
	size_t i, o;

	/* One time more than the log holds. */
	o = (size_t)snprintf(rlog_over, sizeof(rlog_over), "v=1 rlog=0");
	for (i = 1; i <= GUEST_RESTART_LOG; i++)
		o += (size_t)snprintf(rlog_over + o, sizeof(rlog_over) - o,
		    ",%zu", i);
	c.unpause_guest = false;
	running_guest(&g, &c, &e);
	crash_once(&g, &e);
	snprintf(g.uuid, sizeof(g.uuid), "%s",
	    "6f1c0e8b-0d4f-4e9b-8e1d-2a3c4b5d6e7f");
	snprintf(g.reason, sizeof(g.reason), "it said \"no\" = 100%% sure");
	guest_add_dying(&g, 11);
	CHECK(persist_encode(&g, rec, sizeof(rec)) == 0, "record encodes");
	guest_init(&h, 5, "web1", "", &c);
	CHECK(persist_decode(&h, rec) == 0, "record decodes");
	CHECK(h.state == g.state && h.stub_domid == g.stub_domid &&
	    h.restarts == g.restarts && h.starts == g.starts &&
	    h.ever_ran == g.ever_ran && h.nrestart_log == g.nrestart_log &&
	    h.restart_log[0] == g.restart_log[0] &&
	    h.last_exit == g.last_exit && h.ndying == 1 && h.dying[0] == 11 &&
	    strcmp(h.uuid, g.uuid) == 0 && strcmp(h.reason, g.reason) == 0 &&
	    strcmp(h.stub_uuid, g.stub_uuid) == 0,
	    "round trip keeps every field");
	CHECK(persist_decode(&h, "v=2 state=running") < 0, "unknown version");
	CHECK(persist_decode(&h, "v=1 state=dancing") < 0, "unknown state");
	CHECK(persist_decode(&h, "v=1 stub=99999") < 0, "domid out of range");
	CHECK(persist_decode(&h, "v=1 starts=-1") < 0, "negative count");
	CHECK(persist_decode(&h, "v=1 reason=%4") < 0, "truncated escape");
	CHECK(persist_decode(&h, "v=1 reason=%00") < 0, "NUL escape");
	CHECK(persist_decode(&h, "v=1 noequals") < 0, "word without '='");
	CHECK(persist_decode(&h, "v=1 rlog=1,,2") < 0, "empty list item");
	CHECK(persist_decode(&h, rlog_over) < 0, "more restart times than the "
	    "log holds");
	CHECK(persist_decode(&h, "v=1 future=1") == 0,
	    "a newer daemon's field is ignored");
	guest_release(&g);
	guest_release(&h);
}

/* A stub libxl built: adopted running or starting, rebuilt as libxl did. */
static void
test_adopted(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 1000, 0, 0 };
	struct guest_build *b = calloc(1, sizeof(*b));
	char rec[PERSIST_RECORD_MAX];
	struct guest g, h;
	unsigned a;

	guest_init(&g, 5, "lx1", "", &c);
	b->kernel = strdup("/boot/k 1");
	b->ramdisk = strdup("");
	b->cmdline = strdup("console=hvc0 a=b");
	b->memory_mib = 96;
	b->vcpus = 2;
	guest_set_adopted(&g, b);
	a = guest_on_adopted(&g, &e, 12, true);
	CHECK(a == 0 && g.state == GUEST_RUNNING && g.stub_domid == 12 &&
	    g.starts == 1, "adopted running: running, one ioreq slot used");
	a = guest_on_stub_died(&g, &e, GUEST_EXIT_CRASHED, "crash");
	CHECK(g.state == GUEST_BACKOFF && (a & GUEST_DO_DESTROY_STUB),
	    "adopted stub of a never-run guest dies: rebuilt after back-off");
	e.now = g.deadline;
	guest_on_timer(&g, &e);
	guest_on_built(&g, &e, 13);
	a = guest_on_ready(&g, &e);
	CHECK(g.state == GUEST_RUNNING && a == 0,
	    "adopted: the rebuilt stub never unpauses the toolstack's guest");
	CHECK(persist_encode(&g, rec, sizeof(rec)) == 0, "record encodes");
	guest_init(&h, 5, "lx1", "", &c);
	CHECK(persist_decode(&h, rec) == 0 && h.adopted != NULL &&
	    strcmp(h.adopted->kernel, "/boot/k 1") == 0 &&
	    strcmp(h.adopted->ramdisk, "") == 0 &&
	    strcmp(h.adopted->cmdline, "console=hvc0 a=b") == 0 &&
	    h.adopted->memory_mib == 96 && h.adopted->vcpus == 2,
	    "the adopted build survives the record");
	guest_release(&h);
	guest_init(&h, 6, "lx2", "", &c);
	a = guest_on_adopted(&h, &e, 14, false);
	CHECK(h.state == GUEST_STARTING && a == GUEST_DO_TIMER &&
	    h.deadline == e.now + c.start_timeout_ms,
	    "adopted before ready: start_timeout applies");
	CHECK(persist_decode(&h, "v=1 ad_mem=x") < 0, "bad adopted memory");
	CHECK(persist_decode(&h, "v=1 ad_kernel=%4") < 0, "bad adopted kernel");
	guest_release(&g);
	guest_release(&h);
}

/* The metrics' time to ready: from the build's start to ready. */
static void
test_ready_time(void)
{
	struct policy_settings c = cfg_default();
	struct guest_env e = { 1000, 0, 0 };
	struct guest g;

	guest_init(&g, 5, "web1", "", &c);
	guest_on_detected(&g, &e);
	e.now = 1300;
	guest_on_built(&g, &e, 11);
	guest_on_stub_started(&g, &e);
	CHECK(!g.ready_timed, "not ready yet: no time to ready");
	e.now = 3500;
	guest_on_ready(&g, &e);
	CHECK(g.ready_timed && g.ready_ms == 2500,
	    "time to ready = ready - build start (2500 ms)");
	e.now = 4000;
	guest_on_stub_died(&g, &e, GUEST_EXIT_CRASHED, "crash");
	CHECK(g.ready_ms == 2500, "a crash keeps the last time to ready");
	guest_release(&g);

	guest_init(&g, 6, "lx1", "", &c);
	guest_on_adopted(&g, &e, 12, false);
	e.now = 9000;
	guest_on_ready(&g, &e);
	CHECK(g.state == GUEST_RUNNING && !g.ready_timed,
	    "an adopted stub (built by libxl) is not timed");
	guest_release(&g);
}

static void
test_names(void)
{
	enum guest_state s;
	enum guest_exit x;
	int i, ok = 1;

	for (i = 0; i < GUEST_NSTATES; i++)
		if (guest_state_parse(guest_state_name(i), &s) < 0 ||
		    (int)s != i)
			ok = 0;
	for (i = 0; i < GUEST_NEXITS; i++)
		if (guest_exit_parse(guest_exit_name(i), &x) < 0 ||
		    (int)x != i)
			ok = 0;
	CHECK(ok, "state and exit names round-trip");
	CHECK(guest_state_parse("RUNNING", &s) < 0, "names are exact");
}

int
main(void)
{
	test_start();
	test_never_ready();
	test_backoff();
	test_restart_limits();
	test_restart_modes();
	test_build_failures();
	test_dm_death();
	test_dm_hang();
	test_saved();
	test_restore();
	test_operator_and_gone();
	test_dying();
	test_persist();
	test_adopted();
	test_ready_time();
	test_names();
	return unit_done();
}
