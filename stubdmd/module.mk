# SPDX-License-Identifier: GPL-2.0-only
# stubdmd: the daemon.
# The supervisor, split by concern (super-int.h is what they share).
SUPER_SRCS := stubdmd/super.c stubdmd/super-stub.c stubdmd/super-libxl.c \
	stubdmd/super-scan.c stubdmd/super-readopt.c stubdmd/super-media.c \
	stubdmd/super-state.c
STUBDMD_LIB_SRCS := stubdmd/log.c stubdmd/policy.c stubdmd/hv.c \
	stubdmd/qmp.c stubdmd/probe.c stubdmd/vchan.c \
	stubdmd/hv-sim.c stubdmd/hv-xen.c stubdmd/hv-xen-builder.c \
	stubdmd/lister.c \
	stubdmd/xlbuild.c stubdmd/builder.c stubdmd/xstore.c \
	stubdmd/guest.c stubdmd/persist.c stubdmd/spawn.c $(SUPER_SRCS) \
	stubdmd/pool.c stubdmd/devices.c stubdmd/xlstub.c stubdmd/vnc.c
STUBDMD_SRCS := stubdmd/stubdmd.c stubdmd/control.c stubdmd/control-method.c \
	stubdmd/control-guest.c stubdmd/control-events.c stubdmd/control-screen.c \
	stubdmd/control-media.c stubdmd/control-state.c \
	stubdmd/notify.c \
	stubdmd/metrics.c $(STUBDMD_LIB_SRCS)
STUBDMD_OBJS := $(patsubst %.c,$(O)/%.o,$(STUBDMD_SRCS)) $(O)/stubdmd/idl.o
STUBDMD_LIBS = $(XEN_LIBS) $(EVENT_LIBS) $(SYSTEMD_LIBS) $(INIH_LIBS) \
	$(JSON_LIBS)

$(O)/stubdmd/stubdmd: $(STUBDMD_OBJS)
	$(call link,$(STUBDMD_LIBS))

BINS += $(O)/stubdmd/stubdmd

# The interface descriptions GetInterfaceDescription returns, embedded from
# the .varlink files (never edited by hand, so they cannot drift).
IDL_FILES := stubdmd/io.stubdm.varlink stubdmd/org.varlink.service.varlink

$(O)/stubdmd/idl.c: $(IDL_FILES) tools/embed-idl
	@mkdir -p $(dir $@)
	tools/embed-idl idl_io_stubdm stubdmd/io.stubdm.varlink \
	    idl_org_varlink_service stubdmd/org.varlink.service.varlink >$@.tmp
	mv $@.tmp $@

$(O)/stubdmd/idl.o: $(O)/stubdmd/idl.c
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<
