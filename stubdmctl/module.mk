# SPDX-License-Identifier: GPL-2.0-only
# stubdmctl: the command line client (one file per verb group, a verb table).
STUBDMCTL_SRCS := stubdmctl/stubdmctl.c stubdmctl/conn.c stubdmctl/error.c \
	stubdmctl/output.c stubdmctl/cmd-list.c stubdmctl/cmd-status.c \
	stubdmctl/cmd-guest.c stubdmctl/cmd-admin.c stubdmctl/cmd-events.c \
	stubdmctl/cmd-info.c stubdmctl/cmd-screen.c stubdmctl/rfb.c \
	stubdmctl/cmd-media.c stubdmctl/cmd-state.c
STUBDMCTL_OBJS := $(patsubst %.c,$(O)/%.o,$(STUBDMCTL_SRCS))

$(O)/stubdmctl/stubdmctl: $(STUBDMCTL_OBJS)
	$(call link,$(JSON_LIBS) $(INIH_LIBS) $(PNG_LIBS))

BINS += $(O)/stubdmctl/stubdmctl
