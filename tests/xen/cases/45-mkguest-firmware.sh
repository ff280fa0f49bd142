# SPDX-License-Identifier: GPL-2.0-only
# mkguest, the test toolstack, builds a guest that runs (--firmware:
# hvmloader and SeaBIOS loaded with libxenguest as libxl does) and writes
# its disk and NIC (--disk, --nic) the way libxl does.  The policy gives
# nodm* guests no stub, so nothing serves the guest's ports: Xen answers
# them (all ones), and the firmware's own lines (port 0xe9) in xl dmesg
# show that it ran.  The device entries are compared, key by key, with
# those libxl wrote for a guest xl create -p made with the same disk and
# NIC (QEMU in dom0; it never runs), made and destroyed first: the
# firmware guest spins in SeaBIOS's boot retries and slows dom0's QEMU.
# plan: 2

# dev_keys DOMID: the keys stubdmd reads and those that link the two
# halves of the disk and the NIC, with the domid made G.
dev_keys() {
	for p in /local/domain/$1/device/vbd/768 \
	    /local/domain/0/backend/qdisk/$1/768 \
	    /local/domain/$1/device/vif/0 /local/domain/0/backend/vif/$1/0; do
		for k in backend backend-id virtual-device device-type \
		    frontend frontend-id params type mode dev mac bridge \
		    script handle model vifname; do
			v=$(xenstore-read "$p/$k" 2>/dev/null) || continue
			echo "$p/$k = $v"
		done
	done | sed "s,/$1/,/G/,g; s,/$1\$,/G,; s,= $1\$,= G,"
}

guest_disk /tmp/fw.img "$(nonce)" 0
fwmac=00:16:3e:5d:00:0f
guest_cfg lxfw1 /tmp/fw.img $fwmac >/tmp/lxfw1.cfg
why_ref=""
if ! timeout 300 xl create -p /tmp/lxfw1.cfg >/tmp/lxfw1.out 2>&1; then
	why_ref="xl create -p of the reference failed (its output above)"
	sed 's/^/xl: /' /tmp/lxfw1.out
	tail -n 20 /var/log/xen/qemu-dm-lxfw1.log 2>/dev/null |
	    sed 's/^/qemu-dm: /'
else
	dev_keys "$(domid lxfw1)" >/tmp/keys.libxl
	sed 's/^/libxl: /' /tmp/keys.libxl
	[ -s /tmp/keys.libxl ] || why_ref="libxl wrote none of the keys"
fi
timeout 60 xl destroy lxfw1 2>/dev/null

why="" why_keys="$why_ref"
if ! g=$(mkguest --firmware --unpause --disk /tmp/fw.img --nic $fwmac \
    nodm1 2>/tmp/nodm1.err); then
	why="mkguest --firmware failed: $(cat /tmp/nodm1.err)"
	why_keys="${why_keys:-no mkguest guest}"
else
	dev_keys "$g" >/tmp/keys.mkguest
	if [ -z "$why_ref" ] && ! cmp -s /tmp/keys.libxl /tmp/keys.mkguest
	then
		why_keys="they differ from libxl's: $(diff /tmp/keys.libxl \
		    /tmp/keys.mkguest | grep '^[-+][^-+]' | tr '\n' ';')"
	fi
	fw_ran() {
		xl dmesg >/tmp/nodm1.dmesg 2>&1
		for l in "HVM Loader" "System requested SeaBIOS" \
		    "SeaBIOS (version"; do
			grep -q "(d$g) .*$l" /tmp/nodm1.dmesg || return 1
		done
	}
	wait_for 120 fw_ran ||
	    why="no hvmloader then SeaBIOS lines from d$g in xl dmesg"
	mkguest --destroy "$g"
	grep "(d$g)" /tmp/nodm1.dmesg | head -n 12 | sed 's/^/xl dmesg: /'
fi
result "$([ -z "$why" ]; echo $?)" "mkguest --firmware: hvmloader loads \
SeaBIOS and both run in the guest" "$why"
result "$([ -z "$why_keys" ]; echo $?)" "mkguest --disk/--nic: the guest's \
vbd and vif entries are libxl's for the same disk and NIC" "$why_keys"
