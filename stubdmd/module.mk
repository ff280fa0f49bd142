# stubdmd: the daemon.
STUBDMD_LIB_SRCS := stubdmd/log.c stubdmd/policy.c stubdmd/hv.c \
	stubdmd/hv-sim.c stubdmd/hv-xen.c stubdmd/builder.c stubdmd/xstore.c \
	stubdmd/guest.c stubdmd/persist.c stubdmd/spawn.c stubdmd/super.c \
	stubdmd/pool.c stubdmd/devices.c stubdmd/xlstub.c
STUBDMD_SRCS := stubdmd/stubdmd.c stubdmd/control.c stubdmd/notify.c \
	$(STUBDMD_LIB_SRCS)
STUBDMD_OBJS := $(patsubst %.c,$(O)/%.o,$(STUBDMD_SRCS))
STUBDMD_LIBS = $(XEN_LIBS) $(EVENT_LIBS) $(SYSTEMD_LIBS) $(INIH_LIBS) \
	$(JSON_LIBS)

$(O)/stubdmd/stubdmd: $(STUBDMD_OBJS)
	$(call link,$(STUBDMD_LIBS))

BINS += $(O)/stubdmd/stubdmd
