# SPDX-License-Identifier: GPL-2.0
#
# ztdns: Zero Trust DNS for Linux.
#
#   make            the module (kmod/ztdns.ko) and the tools (daemon/)
#   make check      every test: host, KUnit (UML), VM end to end, and the
#                   benchmarks' smoke run
#   make bench      the benchmarks, side by side with nftables, ipset,
#                   unbound and stubby: bench/results.md, .json, .png
#   make demo       the story, in a VM
#   make install    module, tools, unit file; DESTDIR and PREFIX honoured
#
# KDIR selects the kernel build tree: by default the running kernel's, or
# else the newest Debian kernel headers installed (the one the VM boots).

KVER_RUNNING := $(shell uname -r)
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER_RUNNING)/build) \
	$(lastword $(shell ls -d /lib/modules/*-amd64/build 2>/dev/null | sort -V)))
VERSION := $(shell git describe --always --dirty --tags 2>/dev/null || echo unknown)

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system

CC ?= cc
CFLAGS ?= -O2 -g
ZCFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -D_GNU_SOURCE -I. \
	$(shell pkg-config --cflags libnl-genl-3.0)
NL_LIBS := $(shell pkg-config --libs libnl-genl-3.0)
TLS_LIBS := -lmbedtls -lmbedx509 -lmbedcrypto
INI_LIBS := $(shell pkg-config --libs inih)
SD_LIBS := $(shell pkg-config --libs libsystemd libcap-ng)

TOOLS := daemon/ztdnsd daemon/ztdnsctl
UNIT_TESTS := tests/unit/parse_test tests/unit/dns_test tests/unit/config_test \
	tests/unit/cache_test tests/unit/rebind_test
FUZZERS := tests/fuzz/dns_fuzz tests/fuzz/config_fuzz tests/fuzz/resolve_fuzz \
	tests/fuzz/ctl_fuzz
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
ZTDNSD_OBJS := daemon/ztdnsd.o daemon/loop.o daemon/client.o daemon/resolve.o \
	daemon/upstream.o daemon/kernel.o daemon/tls.o daemon/dns.o \
	daemon/cache.o daemon/rebind.o daemon/config.o daemon/log.o \
	daemon/nl.o daemon/parse.o daemon/answer.o
KMOD_SRC := $(wildcard kmod/*.[ch] kmod/tests/*.c) kmod/Kbuild uapi/linux/ztdns.h

.PHONY: all module tools unit-tests check bench demo kunit vmtest unit style install \
	dkms-install uninstall clean debug-kernel fuzzers fuzz fuzz-kernel

all: module tools

module: kmod/ztdns.ko

# The version the tools and the module report, in a header rewritten only
# when it changes: a new commit rebuilds what reports it, even when none of
# its sources changed (as the kernel's utsrelease.h).
build/version.h: FORCE
	@mkdir -p build
	@v='#define ZTDNS_VERSION "$(VERSION)"'; \
	[ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" >$@

.PHONY: FORCE
FORCE:

kmod/ztdns.ko: $(KMOD_SRC) build/version.h
	@test -n "$(KDIR)" || { echo "no kernel build tree: install linux-headers-amd64 or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_ZTDNS=m ZTDNS_VERSION=$(VERSION) modules

tools: $(TOOLS) daemon/ztdnsd-asan unit-tests fuzzers tests/vm/probe \
	tests/vm/resolve

daemon/ztdnsctl: daemon/ztdnsctl.o daemon/nl.o daemon/parse.o daemon/ctlargs.o
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS)

daemon/ztdnsd: $(ZTDNSD_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_LIBS) $(TLS_LIBS) $(INI_LIBS) $(SD_LIBS)

# ztdnsd with AddressSanitizer and UBSan (gcc), for the VM tests that
# attack it (tests/vm/12-ztdnsd-hostile.sh): the first report aborts it.
ASAN_CC ?= gcc
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

daemon/ztdnsd-asan: $(ZTDNSD_OBJS:daemon/%.o=build/asan/%.o)
	$(ASAN_CC) $(ASAN_FLAGS) $(LDFLAGS) -o $@ $^ $(NL_LIBS) $(TLS_LIBS) \
		$(INI_LIBS) $(SD_LIBS)

build/asan/%.o: daemon/%.c $(wildcard daemon/*.h) uapi/linux/ztdns.h
	@mkdir -p build/asan
	$(ASAN_CC) $(ASAN_FLAGS) $(ZCFLAGS) -c -o $@ $<

build/asan/ztdnsd.o: build/version.h

# The VM tests' packet sender, and their resolve-then-connect client.
tests/vm/probe: tests/vm/probe.c
	$(CC) $(CFLAGS) $(ZCFLAGS) -o $@ $<

tests/vm/resolve: tests/vm/resolve.c daemon/dns.c daemon/parse.c \
		daemon/dns.h daemon/parse.h
	$(CC) $(CFLAGS) $(ZCFLAGS) -o $@ $(filter %.c,$^)

daemon/%.o: daemon/%.c $(wildcard daemon/*.h) uapi/linux/ztdns.h
	$(CC) $(CFLAGS) $(ZCFLAGS) -c -o $@ $<

daemon/ztdnsd.o daemon/ztdnsctl.o: build/version.h

# Host unit tests of the tools' pure code; tests/unit/run runs them.
unit-tests: $(UNIT_TESTS)

tests/unit/parse_test: tests/unit/parse_test.c daemon/parse.c daemon/parse.h \
		uapi/linux/ztdns.h tests/unit/check.h
	$(CC) $(CFLAGS) $(ZCFLAGS) $(LDFLAGS) -o $@ tests/unit/parse_test.c \
		daemon/parse.c

tests/unit/dns_test: tests/unit/dns_test.c daemon/dns.c daemon/parse.c \
		daemon/dns.h daemon/parse.h tests/unit/check.h
	$(CC) $(CFLAGS) $(ZCFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^)

tests/unit/cache_test: tests/unit/cache_test.c daemon/cache.c daemon/dns.c \
		daemon/parse.c daemon/cache.h daemon/dns.h daemon/parse.h \
		tests/unit/check.h
	$(CC) $(CFLAGS) $(ZCFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^)

tests/unit/rebind_test: tests/unit/rebind_test.c daemon/rebind.c \
		daemon/parse.c daemon/rebind.h daemon/parse.h tests/unit/check.h
	$(CC) $(CFLAGS) $(ZCFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^)

tests/unit/config_test: tests/unit/config_test.c daemon/config.c \
		daemon/rebind.c daemon/parse.c daemon/tls.c daemon/config.h \
		daemon/rebind.h daemon/parse.h daemon/tls.h uapi/linux/ztdns.h \
		tests/unit/check.h
	$(CC) $(CFLAGS) $(ZCFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) \
		$(INI_LIBS) $(TLS_LIBS)

# libFuzzer targets (clang); tests/unit/run runs each briefly on its corpus,
# "make fuzz" for 10 million executions each (build/fuzz/summary.txt).
fuzzers: $(FUZZERS)

tests/fuzz/dns_fuzz: tests/fuzz/dns_fuzz.c daemon/dns.c daemon/parse.c \
		daemon/dns.h daemon/parse.h
	$(FUZZ_CC) $(FUZZ_FLAGS) $(ZCFLAGS) -o $@ $(filter %.c,$^)

tests/fuzz/config_fuzz: tests/fuzz/config_fuzz.c daemon/config.c \
		daemon/rebind.c daemon/parse.c daemon/config.h daemon/rebind.h \
		daemon/parse.h
	$(FUZZ_CC) $(FUZZ_FLAGS) $(ZCFLAGS) -o $@ $(filter %.c,$^) \
		$(INI_LIBS) -lmbedcrypto

tests/fuzz/resolve_fuzz: tests/fuzz/resolve_fuzz.c daemon/answer.c \
		daemon/cache.c daemon/dns.c daemon/rebind.c daemon/parse.c \
		daemon/answer.h daemon/cache.h daemon/dns.h daemon/rebind.h \
		daemon/config.h daemon/parse.h
	$(FUZZ_CC) $(FUZZ_FLAGS) $(ZCFLAGS) -o $@ $(filter %.c,$^)

tests/fuzz/ctl_fuzz: tests/fuzz/ctl_fuzz.c daemon/ctlargs.c daemon/parse.c \
		daemon/ctlargs.h daemon/parse.h uapi/linux/ztdns.h
	$(FUZZ_CC) $(FUZZ_FLAGS) $(ZCFLAGS) -o $@ $(filter %.c,$^)

# Each target for FUZZ_RUNS executions, one after the other: scripts/fuzz.
FUZZ_RUNS ?= 10000000
FUZZ_SECONDS ?=
fuzz: fuzzers
	FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz $(FUZZERS)

# The generic netlink fuzzer's long run, in the debug kernel's VM.
GENL_FUZZ_COUNT ?= 1000000
fuzz-kernel: tools
	scripts/fuzz-kernel $(GENL_FUZZ_COUNT)

check:
	@scripts/check

bench:
	@scripts/bench

demo:
	@scripts/demo

kunit:
	@scripts/deps
	scripts/kunit

vmtest: all
	scripts/vmtest

unit: tools
	tests/unit/run

debug-kernel:
	scripts/debug-kernel

# checkpatch from the cached kernel source (scripts/kunit extracts it).
style:
	@scripts/style

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_ZTDNS=m ZTDNS_VERSION=$(VERSION) \
		INSTALL_MOD_PATH=$(DESTDIR) modules_install
	install -D -m 0755 daemon/ztdnsd $(DESTDIR)$(SBINDIR)/ztdnsd
	install -D -m 0755 daemon/ztdnsctl $(DESTDIR)$(SBINDIR)/ztdnsctl
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/ztdns
	sed 's|@SBINDIR@|$(SBINDIR)|' daemon/ztdnsd.service \
		>$(DESTDIR)$(UNITDIR)/ztdnsd.service
	install -m 0644 daemon/ztdnsd.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/ztdns/ztdnsd.conf.example
	test -n "$(DESTDIR)" || depmod -a $(notdir $(patsubst %/build,%,$(KDIR)))

dkms-install:
	rm -rf $(DESTDIR)/usr/src/ztdns-$(VERSION)
	install -d $(DESTDIR)/usr/src/ztdns-$(VERSION)/kmod/tests \
		$(DESTDIR)/usr/src/ztdns-$(VERSION)/uapi/linux
	install -m 0644 Kbuild $(DESTDIR)/usr/src/ztdns-$(VERSION)/
	install -m 0644 kmod/*.[ch] kmod/Kbuild kmod/Kconfig $(DESTDIR)/usr/src/ztdns-$(VERSION)/kmod/
	install -m 0644 kmod/tests/*.c $(DESTDIR)/usr/src/ztdns-$(VERSION)/kmod/tests/
	install -m 0644 uapi/linux/ztdns.h $(DESTDIR)/usr/src/ztdns-$(VERSION)/uapi/linux/
	sed 's/@VERSION@/$(VERSION)/' scripts/dkms.conf >$(DESTDIR)/usr/src/ztdns-$(VERSION)/dkms.conf
	test -n "$(DESTDIR)" || dkms add ztdns/$(VERSION)

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ztdnsd $(DESTDIR)$(SBINDIR)/ztdnsctl \
		$(DESTDIR)$(UNITDIR)/ztdnsd.service \
		$(DESTDIR)$(SYSCONFDIR)/ztdns/ztdnsd.conf.example

clean:
	-test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f daemon/*.o $(TOOLS) daemon/ztdnsd-asan tests/vm/probe \
		tests/vm/resolve $(UNIT_TESTS) $(FUZZERS)
	rm -rf build
