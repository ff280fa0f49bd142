# SPDX-License-Identifier: GPL-2.0-only
# stubdm: top-level build.  GNU make; every library through pkg-config.
#
#   make            build in tree (stubdmd/stubdmd, stubdmctl/stubdmctl, hvsim)
#   make check      install missing Debian packages, build strict, build again
#                   with ASan+UBSan, run every test, print "N passed, N failed"
#   make demo       run the lifecycle demo on the simulated host
#   make fuzz       run each libFuzzer target FUZZ_SECONDS (tests/fuzz)
#   make soak       the long lifecycle soak on the simulated host (tests/soak)
#   make bench      the benchmark: stubdmd at 100, 1000, 5000 guests beside
#                   xl's per-process model, each steady figure beside
#                   bench/baseline, then the warm pool's effect
#                   (bench/RESULTS.md; BENCH_ARGS)
#   make images     the stub domain images (images/README.md)
#   make install    install (PREFIX, DESTDIR, sbindir, mandir, sysconfdir,
#                   unitdir: see install.mk); make uninstall
#
# O=DIR puts objects and binaries under DIR (the sanitizer build uses it).

O		?= .
CC		?= cc
PKG_CONFIG	?= pkg-config

WARN	:= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -Wpointer-arith -Wcast-qual -Wno-unused-parameter
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 $(WARN) -Werror -D_GNU_SOURCE -Iinclude -I.
# Every symbol bound at start (and read-only after): a library call's
# first use never stops the daemon's loop to resolve it.
LDFLAGS	+= -Wl,-z,relro,-z,now
ifeq ($(SANITIZE),1)
CFLAGS	+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
LDFLAGS	+= -fsanitize=address,undefined
endif

pc	= $(shell $(PKG_CONFIG) --cflags --libs $(1) 2>/dev/null)
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs	= $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

XEN_PKGS	:= xencontrol xenstore xenevtchn xenlight xenguest xentoollog \
		   xenvchan
EVENT_PKGS	:= libevent
SYSTEMD_PKGS	:= libsystemd
INIH_PKGS	:= inih
JSON_PKGS	:= jansson
PNG_PKGS	:= libpng

XEN_LIBS	= $(call pc_libs,$(XEN_PKGS))
XENSTORE_LIBS	= $(call pc_libs,xenstore)
EVENT_LIBS	= $(call pc_libs,$(EVENT_PKGS))
SYSTEMD_LIBS	= $(call pc_libs,$(SYSTEMD_PKGS))
INIH_LIBS	= $(call pc_libs,$(INIH_PKGS))
JSON_LIBS	= $(call pc_libs,$(JSON_PKGS))
PNG_LIBS	= $(call pc_libs,$(PNG_PKGS))
CFLAGS		+= $(call pc_cflags,$(XEN_PKGS) $(EVENT_PKGS) $(SYSTEMD_PKGS) \
		   $(INIH_PKGS) $(JSON_PKGS) $(PNG_PKGS))

# Each directory adds its programs to BINS and its unit tests to TESTBINS
# in its own module.mk.  link = link the object files of the prerequisites.
BINS		:=
TESTBINS	:=
define link
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(1)
endef

all: build

include stubdmd/module.mk
include stubdmctl/module.mk
include tests/module.mk
include bench/module.mk
include images/module.mk
include install.mk

build: $(BINS) $(TESTBINS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# build/ holds other trees (sanitizer objects, the Xen test bed's files).
-include $(shell find $(O) -path ./build -prune -o -name '*.d' -type f \
	-print 2>/dev/null)

# Debian bookworm packages the build, the tests and the demo need.
DEB_PKGS := build-essential pkg-config libxen-dev xenstore-utils \
	libevent-dev libsystemd-dev libinih-dev libjansson-dev libpng-dev \
	util-linux procps python3 mandoc groff-base systemd clang \
	libclang-rt-14-dev \
	debhelper lintian golang-go golang-github-varlink-go-dev varlink-go \
	prometheus prometheus-node-exporter curl

deps:
	@tools/install-deps $(DEB_PKGS)

check: deps
	$(MAKE) build
	$(MAKE) O=build/asan SANITIZE=1 build
	$(MAKE) O=build/fuzz CC=clang FUZZ=1 fuzz-bins
	$(MAKE) varlink-bins
	tests/run

# The real-Xen test bed (tests/xen/README.md): Xen booted under QEMU;
# and what compiles the lean stub's kernel and QEMU from Debian's sources
# (images/srcbuild).
XEN_DEB_PKGS := qemu-system-x86 busybox-static cpio gzip zstd nasm tcpdump \
	vncsnapshot socat libjpeg-turbo-progs genisoimage \
	dpkg-dev xz-utils bc bison flex libelf-dev libssl-dev \
	ninja-build meson libglib2.0-dev libpixman-1-dev libseccomp-dev \
	zlib1g-dev libfdt-dev

deps-xen:
	@tools/install-deps $(DEB_PKGS) $(XEN_DEB_PKGS)

check-xen: deps-xen
	$(MAKE) build images
	XEN_IMAGES=build/images tests/xen/run

# The stub domain images from Debian packages (images/README.md), into
# build/images; IMAGES="linux-qemu", "linux-qemu-debian" or "test" builds
# some of them (all three by default).
images: deps-xen
	$(MAKE) tests/xen/escape images/linux-qemu/qmp-relay
	images/build build/xen-cache build/images

# The soak (tests/soak/run): not in check; bounded, prints its figures.
soak: deps
	@tools/install-deps valgrind
	$(MAKE) build
	tests/soak/run

# The benchmark (bench/RESULTS.md): not in check; prints its figures and
# each steady one beside bench/baseline's.
bench: deps
	$(MAKE) build
	$(O)/bench/bench --build $(O) --baseline bench/baseline $(BENCH_ARGS)
	bench/pool --build $(O)

demo: deps
	$(MAKE) build
	tests/demo/run

clean:
	rm -rf build
	find . -name '*.o' -o -name '*.d' | grep -v '^./build' | xargs rm -f
	rm -f $(BINS) $(TESTBINS) stubdmd/idl.c

.PHONY: all build deps check demo clean deps-xen check-xen soak bench images
