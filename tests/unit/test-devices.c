/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests of QEMU's arguments for an own-mode guest's devices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmd/devices.h"
#include "tests/unit/unit.h"

/* The arguments as one line, " a b c ", so that " -x y " finds a pair. */
static const char *
joined(const struct hv_devices *d, uint32_t guest)
{
	static char line[8192];
	struct devices_args a;
	size_t i, o = 0;

	devices_qemu_args(d, guest, &a);
	line[o++] = ' ';
	for (i = 0; i < a.argc && o < sizeof(line); i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s ",
		    a.argv[i]);
	return line;
}

static struct hv_disk
disk(const char *vdev, unsigned index, bool cdrom, bool empty)
{
	struct hv_disk d = { .index = index, .readwrite = !cdrom,
	    .cdrom = cdrom, .format = empty ? HV_FORMAT_EMPTY : HV_FORMAT_RAW };

	snprintf(d.vdev, sizeof(d.vdev), "%s", vdev);
	snprintf(d.target, sizeof(d.target), "/srv/%s.img", vdev);
	return d;
}

static struct hv_nic
nic(unsigned devid, const char *mac, bool emulated)
{
	struct hv_nic n = { .devid = devid, .emulated = emulated };

	snprintf(n.mac, sizeof(n.mac), "%s", mac);
	snprintf(n.bridge, sizeof(n.bridge), "xenbr0");
	snprintf(n.model, sizeof(n.model), "rtl8139");
	return n;
}

static void
test_none(void)
{
	struct hv_devices d = { 0 };

	CHECK(strcmp(joined(&d, 5), " -net none ") == 0,
	    "no devices: -net none only");
}

static void
test_disks(void)
{
	struct hv_devices d = { 0 };
	const char *l;

	d.disks[d.ndisks++] = disk("hda", 0, false, false);
	d.disks[d.ndisks++] = disk("xvdb", 1, false, false);
	d.disks[d.ndisks++] = disk("hdc", 2, true, false);
	d.disks[d.ndisks++] = disk("xvde", 4, false, false);
	d.disks[d.ndisks++] = disk("sda", 0, false, false);
	l = joined(&d, 7);
	CHECK(strstr(l, " -drive file=/dev/xvda,if=ide,index=0,media=disk,"
	    "format=host_device,cache=writeback ") != NULL,
	    "hda: libxl's -drive for a stub");
	CHECK(strstr(l, " -drive file=/dev/xvdb,if=ide,index=1,media=disk,"
	    "format=host_device,cache=writeback ") != NULL,
	    "xvdb: the same form, index 1");
	CHECK(strstr(l, " -drive if=none,readonly=on,id=ide-5632,"
	    "file=/dev/xvdc,format=host_device -device ide-cd,id=ide-5632,"
	    "drive=ide-5632,bus=ide.1,unit=0 ") != NULL,
	    "hdc CD-ROM: ide-cd named by its device number");
	CHECK(strstr(l, "xvde") == NULL, "a fifth disk: PV only");
	CHECK(strstr(strstr(l, "index=0") + 1, "index=0") == NULL,
	    "sda: not emulated (no second index=0)");
	CHECK(strstr(l, " -net none ") != NULL, "no NIC: -net none");
}

static void
test_cdrom_empty(void)
{
	struct hv_devices d = { 0 };

	d.disks[d.ndisks++] = disk("hdd", 3, true, true);
	d.disks[d.ndisks++] = disk("xvdf", 5, true, false);
	CHECK(strstr(joined(&d, 1), " -drive if=none,readonly=on,id=ide-5696 "
	    "-device ide-cd,id=ide-5696,drive=ide-5696,bus=ide.1,unit=1 ")
	    != NULL, "an empty CD-ROM: no file, no format");
	CHECK(strstr(joined(&d, 1), "xvdf") == NULL,
	    "a CD-ROM past the fifth: PV only");
}

static void
test_nics(void)
{
	struct hv_devices d = { 0 };
	const char *l;

	d.nics[d.nnics++] = nic(0, "00:16:3e:00:00:01", true);
	d.nics[d.nnics++] = nic(3, "00:16:3e:00:00:02", true);
	d.nics[d.nnics++] = nic(4, "00:16:3e:00:00:03", false);
	snprintf(d.nics[1].model, sizeof(d.nics[1].model), "e1000");
	l = joined(&d, 12);
	CHECK(strstr(l, " -device rtl8139,id=nic0,netdev=net0,"
	    "mac=00:16:3e:00:00:01 -netdev type=tap,id=net0,"
	    "ifname=vif12.0-emu,br=xenbr0,script=no,downscript=no ") != NULL,
	    "NIC 0: libxl's -device and -netdev");
	CHECK(strstr(l, " -device e1000,id=nic3,netdev=net3,"
	    "mac=00:16:3e:00:00:02 ") != NULL, "NIC 3: its model, its devid");
	CHECK(strstr(l, "00:16:3e:00:00:03") == NULL, "a vif-only NIC: none");
	CHECK(strstr(l, "-net none") == NULL, "NICs: no -net none");
}

static void
test_full(void)
{
	struct hv_devices d = { 0 };
	struct devices_args a;
	unsigned i;

	for (i = 0; i < HV_DISKS_MAX; i++)
		d.disks[d.ndisks++] = disk("hdc", i % 5, true, false);
	for (i = 0; i < HV_NICS_MAX; i++)
		d.nics[d.nnics++] = nic(i, "00:16:3e:00:00:01", true);
	devices_qemu_args(&d, 32000, &a);
	CHECK(a.argc <= DEVICES_ARGS_MAX, "the most devices fit the table");
	CHECK(a.argc == 4 * HV_DISKS_MAX + 4 * HV_NICS_MAX,
	    "every emulable one is there");
}

int
main(void)
{
	test_none();
	test_disks();
	test_cdrom_empty();
	test_nics();
	test_full();
	return unit_done();
}
