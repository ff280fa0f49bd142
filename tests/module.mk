# SPDX-License-Identifier: GPL-2.0-only
# Test programs: the simulated host and the unit tests.
include tests/hvsim/module.mk
include tests/xen/module.mk
include tests/fuzz/module.mk
include tests/varlink/module.mk

# tests/unit/test-X.c links with the daemon objects it tests.
UNIT_policy_OBJS := stubdmd/policy.o
UNIT_policy_LIBS = $(INIH_LIBS)

$(O)/tests/unit/test-policy: $(O)/tests/unit/test-policy.o \
		$(addprefix $(O)/,$(UNIT_policy_OBJS))
	$(call link,$(UNIT_policy_LIBS))

TESTBINS += $(O)/tests/unit/test-policy

$(O)/tests/unit/test-guest: $(O)/tests/unit/test-guest.o \
		$(O)/stubdmd/guest.o $(O)/stubdmd/persist.o
	$(call link,)

TESTBINS += $(O)/tests/unit/test-guest

$(O)/tests/unit/test-devices: $(O)/tests/unit/test-devices.o \
		$(O)/stubdmd/devices.o $(O)/stubdmd/xstore.o $(O)/stubdmd/log.o
	$(call link,$(XEN_LIBS) $(EVENT_LIBS) $(SYSTEMD_LIBS))

TESTBINS += $(O)/tests/unit/test-devices

$(O)/tests/unit/test-builder: $(O)/tests/unit/test-builder.o \
		$(O)/stubdmd/builder.o $(O)/stubdmd/hv.o
	$(call link,$(JSON_LIBS))

TESTBINS += $(O)/tests/unit/test-builder

$(O)/tests/unit/test-hv: $(O)/tests/unit/test-hv.o $(O)/stubdmd/hv.o
	$(call link,)

TESTBINS += $(O)/tests/unit/test-hv

$(O)/tests/unit/test-lister: $(O)/tests/unit/test-lister.o \
		$(O)/stubdmd/lister.o
	$(call link,$(EVENT_LIBS))

TESTBINS += $(O)/tests/unit/test-lister

$(O)/tests/unit/test-output: $(O)/tests/unit/test-output.o \
		$(O)/stubdmctl/output.o
	$(call link,$(JSON_LIBS))

TESTBINS += $(O)/tests/unit/test-output
