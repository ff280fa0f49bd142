# stubdmctl: the command line client.
STUBDMCTL_SRCS := stubdmctl/stubdmctl.c
STUBDMCTL_OBJS := $(patsubst %.c,$(O)/%.o,$(STUBDMCTL_SRCS))

$(O)/stubdmctl/stubdmctl: $(STUBDMCTL_OBJS)
	$(call link,$(JSON_LIBS))

BINS += $(O)/stubdmctl/stubdmctl
