# SPDX-License-Identifier: GPL-2.0-only
# The stub images' own programs (images/build copies them into an image,
# with the libraries they name).  qmp-relay: the linux-qemu stub's QMP
# socket when libxl can save the guest (images/linux-qemu/init).
$(O)/images/linux-qemu/qmp-relay: $(O)/images/linux-qemu/qmp-relay.o
	$(call link,)

BINS += $(O)/images/linux-qemu/qmp-relay
