# SPDX-License-Identifier: GPL-2.0-only
# tests/hvsim: the simulated Xen host, its control client and the
# libxenstore client test.  Test programs only: never installed.
HVSIM_SRCS := tests/hvsim/hvsim.c tests/hvsim/tree.c tests/hvsim/xsd.c \
	tests/hvsim/txn.c tests/hvsim/watch.c tests/hvsim/xsconn.c \
	tests/hvsim/dom.c tests/hvsim/dm.c tests/hvsim/ctl.c \
	tests/hvsim/word.c tests/hvsim/xl.c tests/hvsim/vdev.c \
	tests/hvsim/qmpd.c tests/hvsim/rfb.c
HVSIM_OBJS := $(patsubst %.c,$(O)/%.o,$(HVSIM_SRCS))

$(O)/tests/hvsim/hvsim: $(HVSIM_OBJS)
	$(call link,$(EVENT_LIBS))

$(O)/tests/hvsim/hvsimctl: $(O)/tests/hvsim/hvsimctl.o $(O)/tests/hvsim/word.o
	$(call link,)

$(O)/tests/hvsim/xsclient-test: $(O)/tests/hvsim/xsclient-test.o
	$(call link,$(XENSTORE_LIBS))

TESTBINS += $(O)/tests/hvsim/hvsim $(O)/tests/hvsim/hvsimctl \
	$(O)/tests/hvsim/xsclient-test
