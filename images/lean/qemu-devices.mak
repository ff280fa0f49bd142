# Devices of the stub's QEMU, for "configure --without-default-devices
# --with-devices-i386=stubdm" (images/build copies this file to
# configs/devices/i386-softmmu/stubdm.mak in Debian's qemu source).  The
# board brings what it selects (i8259, i8254, RTC, PS/2, ISA serial,
# floppy controller, PIIX3 with its IDE, ACPI); what follows are the
# devices xl offers an HVM guest on top, by xl.cfg(5)'s names.

# The board: xenfv is the i440FX PC.
CONFIG_I440FX=y
# hdtype = "ahci"
CONFIG_AHCI_ICH9=y
# nic model: rtl8139 (xl's default), e1000
CONFIG_RTL8139_PCI=y
CONFIG_E1000_PCI=y
# vga = "stdvga" (xl's default for qemu-xen) or "cirrus"
CONFIG_VGA_PCI=y
CONFIG_VGA_CIRRUS=y
# usb = 1, usbversion = 1/2/3, usbdevice = "tablet" (USB HID)
CONFIG_USB_UHCI=y
CONFIG_USB_EHCI_PCI=y
CONFIG_USB_XHCI_NEC=y
