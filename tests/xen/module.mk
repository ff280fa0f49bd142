# SPDX-License-Identifier: GPL-2.0-only
# The real-Xen test bed: the test toolstack mkguest (see tests/xen/README.md).
$(O)/tests/xen/mkguest: $(O)/tests/xen/mkguest.o
	$(call link,$(call pc_libs,xencontrol xenguest xenstore))

TESTBINS += $(O)/tests/xen/mkguest

# A hostile device model, run inside the test stub image (images/build
# copies it there, with the libraries it names; stubtest=escape).
$(O)/tests/xen/escape: $(O)/tests/xen/escape.o
	$(call link,$(call pc_libs,xencontrol xenforeignmemory \
		xendevicemodel xenevtchn xengnttab xenstore))

TESTBINS += $(O)/tests/xen/escape
