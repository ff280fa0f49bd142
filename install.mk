# SPDX-License-Identifier: GPL-2.0-only
# make install / make uninstall, with the GNU directory variables:
#
#   make install PREFIX=/usr DESTDIR=/tmp/stage
#
# make install-images installs the linux-qemu stub image (make images) to
# $(xenbootdir), /usr/lib/xen/boot; make uninstall-images removes it.
#
# PREFIX (default /usr/local), DESTDIR (a staging root), sbindir, mandir,
# sysconfdir, unitdir, bashcompdir and docdir may each be set.  sysconfdir
# is /etc whatever PREFIX is: the daemon reads /etc/stubdmd.ini unless -f
# says otherwise, and the unit passes -f $(sysconfdir)/stubdmd.ini.  An
# existing policy is never overwritten; uninstall removes it only when it
# is still the shipped one.
PREFIX		?= /usr/local
exec_prefix	?= $(PREFIX)
sbindir		?= $(exec_prefix)/sbin
datarootdir	?= $(PREFIX)/share
mandir		?= $(datarootdir)/man
docdir		?= $(datarootdir)/doc/stubdm
bashcompdir	?= $(datarootdir)/bash-completion/completions
sysconfdir	?= /etc
unitdir		?= $(PREFIX)/lib/systemd/system
INSTALL		?= install

INST_BINS	:= $(O)/stubdmd/stubdmd $(O)/stubdmctl/stubdmctl
INST_UNITS	:= systemd/stubdmd.service systemd/stubdmd.socket
INST_MAN5	:= man/stubdmd.ini.5
INST_MAN8	:= man/stubdmd.8 man/stubdmctl.8
INST_DOCS	:= etc/stubdmd.ini stubdmd/io.stubdm.varlink
POLICY		:= $(DESTDIR)$(sysconfdir)/stubdmd.ini
# The units name /usr/sbin and /etc as Debian installs them.
UNIT_SUBST	:= sed -e 's|/usr/sbin/|$(sbindir)/|g' \
		   -e 's|/etc/stubdmd\.ini|$(sysconfdir)/stubdmd.ini|g'

install: $(INST_BINS)
	$(INSTALL) -d $(DESTDIR)$(sbindir) $(DESTDIR)$(unitdir) \
		$(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8 \
		$(DESTDIR)$(bashcompdir) $(DESTDIR)$(docdir) \
		$(DESTDIR)$(sysconfdir)
	$(INSTALL) -m 0755 $(INST_BINS) $(DESTDIR)$(sbindir)/
	for u in $(INST_UNITS); do \
		$(UNIT_SUBST) $$u >$(DESTDIR)$(unitdir)/$${u#systemd/} && \
		chmod 0644 $(DESTDIR)$(unitdir)/$${u#systemd/} || exit 1; \
	done
	$(INSTALL) -m 0644 $(INST_MAN5) $(DESTDIR)$(mandir)/man5/
	$(INSTALL) -m 0644 $(INST_MAN8) $(DESTDIR)$(mandir)/man8/
	$(INSTALL) -m 0644 stubdmctl/stubdmctl.bash \
		$(DESTDIR)$(bashcompdir)/stubdmctl
	$(INSTALL) -m 0644 $(INST_DOCS) $(DESTDIR)$(docdir)/
	@if [ -e $(POLICY) ]; then \
		echo "keeping $(POLICY); the shipped one is in" \
		    "$(docdir)/stubdmd.ini"; \
	else \
		echo "$(INSTALL) -m 0644 etc/stubdmd.ini $(POLICY)"; \
		$(INSTALL) -m 0644 etc/stubdmd.ini $(POLICY); \
	fi

uninstall:
	rm -f $(addprefix $(DESTDIR)$(sbindir)/,$(notdir $(INST_BINS))) \
		$(addprefix $(DESTDIR)$(unitdir)/,$(notdir $(INST_UNITS))) \
		$(addprefix $(DESTDIR)$(mandir)/man5/,$(notdir $(INST_MAN5))) \
		$(addprefix $(DESTDIR)$(mandir)/man8/,$(notdir $(INST_MAN8))) \
		$(DESTDIR)$(bashcompdir)/stubdmctl
	@if cmp -s etc/stubdmd.ini $(POLICY); then \
		echo "rm -f $(POLICY)"; rm -f $(POLICY); \
	elif [ -e $(POLICY) ]; then \
		echo "keeping $(POLICY): it differs from the shipped one"; \
	fi
	rm -f $(addprefix $(DESTDIR)$(docdir)/,$(notdir $(INST_DOCS)))
	-rmdir $(DESTDIR)$(docdir) 2>/dev/null

# The linux-qemu stub image (make images; images/README.md), under the
# names Xen gives a Linux stub domain.  Not part of install: it is built
# from the package archive, not from this tree.
xenbootdir	?= /usr/lib/xen/boot
IMAGE_DIR	?= build/images/linux-qemu
IMAGE_FILES	:= qemu-stubdom-linux-kernel qemu-stubdom-linux-rootfs

install-images:
	@for f in $(IMAGE_FILES); do \
		[ -f $(IMAGE_DIR)/$$f ] || { echo "$(IMAGE_DIR)/$$f is not" \
		    "built (make images)" >&2; exit 1; }; \
	done
	$(INSTALL) -d $(DESTDIR)$(xenbootdir)
	$(INSTALL) -m 0644 $(addprefix $(IMAGE_DIR)/,$(IMAGE_FILES)) \
		$(DESTDIR)$(xenbootdir)/

uninstall-images:
	rm -f $(addprefix $(DESTDIR)$(xenbootdir)/,$(IMAGE_FILES))

.PHONY: install uninstall install-images uninstall-images
