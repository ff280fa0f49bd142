# SPDX-License-Identifier: GPL-2.0-only
# tests/fuzz: libFuzzer targets, built with clang into their own tree:
#   make fuzz-build                  (O=build/fuzz CC=clang FUZZ=1 fuzz-bins)
#   make fuzz FUZZ_SECONDS=N         run each target N seconds (default 60;
#                                    tests/fuzz/run says CRASH or FAILED TO RUN)
# Seeds and dictionaries: tests/fuzz/corpus/<target>/, <target>.dict;
# inputs that once crashed: tests/fuzz/regress/<target>/.
FUZZ_TARGETS := fuzz-control fuzz-policy fuzz-xsvalue fuzz-super \
	fuzz-builder fuzz-qmp

ifeq ($(FUZZ),1)
CFLAGS	+= -O1 -fsanitize=fuzzer-no-link,address,undefined \
	   -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined
endif

FUZZ_control_OBJS := stubdmd/control.o stubdmd/control-method.o \
	stubdmd/control-guest.o stubdmd/control-events.o \
	stubdmd/control-screen.o stubdmd/control-media.o \
	stubdmd/control-state.o stubdmd/vnc.o \
	stubdmd/metrics.o stubdmd/idl.o \
	$(SUPER_SRCS:.c=.o) stubdmd/pool.o stubdmd/probe.o stubdmd/qmp.o \
	stubdmd/policy.o \
	stubdmd/log.o stubdmd/guest.o stubdmd/persist.o stubdmd/spawn.o \
	stubdmd/xstore.o stubdmd/hv.o stubdmd/devices.o
FUZZ_control_LIBS = $(EVENT_LIBS) $(JSON_LIBS) $(INIH_LIBS) \
	$(XENSTORE_LIBS) $(SYSTEMD_LIBS)
FUZZ_policy_OBJS := stubdmd/policy.o
FUZZ_policy_LIBS = $(INIH_LIBS)
FUZZ_xsvalue_OBJS := stubdmd/persist.o stubdmd/guest.o stubdmd/spawn.o \
	stubdmd/xstore.o stubdmd/hv.o stubdmd/log.o stubdmd/policy.o \
	stubdmd/devices.o
FUZZ_xsvalue_LIBS = $(EVENT_LIBS) $(INIH_LIBS) $(XENSTORE_LIBS) \
	$(SYSTEMD_LIBS)
FUZZ_builder_OBJS := stubdmd/builder.o stubdmd/hv.o
FUZZ_builder_LIBS = $(JSON_LIBS)
FUZZ_qmp_OBJS := stubdmd/qmp.o
FUZZ_qmp_LIBS = $(EVENT_LIBS) $(JSON_LIBS)
# fuzz-super.c stands in for libxenstore (under the real xstore.c) and for
# the hypervisor: it does not link libxenstore.
FUZZ_super_OBJS := $(SUPER_SRCS:.c=.o) stubdmd/pool.o stubdmd/guest.o \
	stubdmd/probe.o stubdmd/qmp.o \
	stubdmd/persist.o stubdmd/xstore.o \
	stubdmd/spawn.o stubdmd/policy.o stubdmd/log.o stubdmd/hv.o \
	stubdmd/devices.o
FUZZ_super_LIBS = $(EVENT_LIBS) $(INIH_LIBS) $(SYSTEMD_LIBS) $(JSON_LIBS)

define fuzz_rule
$(O)/tests/fuzz/fuzz-$(1): $(O)/tests/fuzz/fuzz-$(1).o \
		$(addprefix $(O)/,$(FUZZ_$(1)_OBJS))
	$$(call link,$$(FUZZ_LDFLAGS) $$(FUZZ_$(1)_LIBS))
endef
$(foreach t,$(FUZZ_TARGETS:fuzz-%=%),$(eval $(call fuzz_rule,$(t))))

fuzz-bins: $(addprefix $(O)/tests/fuzz/,$(FUZZ_TARGETS))

fuzz-build: deps
	$(MAKE) O=build/fuzz CC=clang FUZZ=1 fuzz-bins

FUZZ_SECONDS ?= 60
fuzz: fuzz-build
	tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-bins fuzz-build
