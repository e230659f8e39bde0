# Helpers for the VM tests; sourced by each tests/vm/[0-9]*.sh (bash), which
# runs as root inside the guest (scripts/vm), never on the host.
# shellcheck shell=bash

set -euo pipefail

[ "${ZTDNS_KVER:-}" ] || { echo "run me through scripts/vmtest, in the VM" >&2; exit 1; }
: "${ZTDNS_KO:?ZTDNS_KO names the module built for this kernel}"

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTL=$TOP/daemon/ztdnsctl
PROBE=$TOP/tests/vm/probe
ZTNL=$TOP/tests/vm/ztnl.py
pid=$$
PARAMS=/sys/module/ztdns/parameters
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"

# WireGuard netns.sh style: print each step, then do it.
pretty() { echo "[+] ${1:+$1: }${*:2}" >&2; }
n0() { pretty "host" "$*"; "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect CMD...: CMD must succeed.
expect() { pretty "check" "$*"; "$@" || fail "'$*' failed"; }

# refuse ERRTEXT CMD...: CMD must fail, and its stderr must contain ERRTEXT.
refuse() {
	local want=$1 err
	shift
	pretty "refuse" "$* (expecting: $want)"
	if err=$("$@" 2>&1 >/dev/null); then
		fail "'$*' succeeded"
	fi
	case $err in
	*"$want"*) ;;
	*) fail "'$*' failed with '$err', not '$want'" ;;
	esac
}

# eq WANT GOT [WHAT]
eq() { [ "$1" = "$2" ] || fail "${3:-value}: want '$1', got '$2'"; }

module_loaded() { [ -d /sys/module/ztdns ]; }

# stock_only: for a test of ztdnsd's own defences, which do not depend on
# the kernel and under KASAN would take much of make check's time budget:
# it runs on the stock kernels (ZTDNS_HOSTILE_ON_DEBUG=1: on debug too).
stock_only() {
	if [ "${ZTDNS_KERNEL:-}" = debug ] && [ -z "${ZTDNS_HOSTILE_ON_DEBUG:-}" ]; then
		echo "runs on the stock kernels (ZTDNS_HOSTILE_ON_DEBUG=1 to run it here)"
		exit 77
	fi
}

# jget KEY: a field of the JSON object on stdin.
jget() { jq -r ".$1"; }

# A network namespace NAME-PID with lo up; nsx NAME CMD... runs in it.
ns_new() { n0 ip netns add "$1-$pid"; ip -n "$1-$pid" link set lo up; }
nsx() { local ns=$1; shift; pretty "$ns" "$*"; ip netns exec "$ns-$pid" "$@"; }
ctl() { local ns=$1; shift; ip netns exec "$ns-$pid" "$CTL" "$@"; }

# pass NS PROBE-ARGS... / block NS PROBE-ARGS...: a packet must leave, or
# be refused at once: EPERM, or ECONNREFUSED for a TCP connect.
pass() {
	local ns=$1 out
	shift
	pretty "$ns" "probe $* (expecting pass)"
	out=$(ip netns exec "$ns-$pid" "$PROBE" "$@" 2>&1) || true
	[ "$out" = pass ] || fail "probe $* in $ns: $out, want pass"
}
block() {
	local ns=$1 out
	shift
	pretty "$ns" "probe $* (expecting blocked)"
	out=$(ip netns exec "$ns-$pid" "$PROBE" "$@" 2>&1) || true
	case $1:$out in
	tcp:refused | [!t]*:blocked | t[!c]*:blocked) ;;
	*) fail "probe $* in $ns: $out, want blocked" ;;
	esac
}

# A namespace with a dummy device routing the documentation ranges:
# 192.0.2.1/24, 2001:db8::1/64 on it, 198.51.100.0/22, 203.0.113.0/24 and
# 2001:db8::/32 routed through it.  Packets there go nowhere, but they do
# cross LOCAL_OUT.
ns_dummy() {
	ns_new "$1"
	dummy_up "$1-$pid"
}

# dummy_up NETNS: that dummy device and its routes, in the namespace so
# named (whole name).
dummy_up() {
	ip -n "$1" link add dummy0 type dummy
	ip -n "$1" addr add 192.0.2.1/24 dev dummy0
	ip -n "$1" addr add 2001:db8::1/64 dev dummy0 nodad
	ip -n "$1" link set dummy0 up
	ip -n "$1" route add 198.51.100.0/22 dev dummy0
	ip -n "$1" route add 203.0.113.0/24 dev dummy0
	ip -n "$1" -6 route add 2001:db8::/32 dev dummy0
}

# monitor_start NS FILE: ztdnsctl --json monitor in NS, into FILE, in the
# background ($! is its pid); returns once it has joined the events group
# (a generic netlink socket, protocol 16, with a group bit set in
# /proc/net/netlink).
monitor_start() {
	ip netns exec "$1-$pid" "$CTL" --json monitor >"$2" &
	local i
	for i in $(seq 200); do
		monitor_joined "$1" && return
		sleep 0.1
	done
	expect monitor_joined "$1"
}
monitor_joined() {
	ip netns exec "$1-$pid" awk '$2 == 16 && $4 != "00000000" { f = 1 } END { exit !f }' \
		/proc/net/netlink
}

# eventually CMD...: CMD succeeds within 10 s (polled), else fail.
eventually() {
	local i
	for i in $(seq 50); do
		"$@" && return
		sleep 0.2
	done
	expect "$@"
}

# counter NS NAME: a counter of the namespace.
counter() { ctl "$1" --json stats | jget "$2"; }

load_module() {
	n0 insmod "$ZTDNS_KO" "$@"
}

unload_module() {
	if module_loaded; then
		n0 rmmod ztdns
	fi
}

# unload: rmmod, waiting while namespaces deleted a moment ago still pin
# the module (the kernel tears namespaces down asynchronously).
unload() {
	local i
	pretty host "rmmod ztdns"
	for i in $(seq 100); do
		rmmod ztdns 2>/dev/null && return 0
		sleep 0.1
	done
	rmmod ztdns
}

# Namespaces made by a test carry its pid; cleanup stops what runs in them,
# removes them and unloads the module.
cleanup() {
	local ns
	for ns in $(ip netns list | awk '{print $1}' | grep -- "-$pid\$" || true); do
		ip netns exec "$ns" "$CTL" mode off 2>/dev/null || true
		ip netns pids "$ns" | xargs -r kill 2>/dev/null || true
		ip netns del "$ns"
	done
	if module_loaded; then
		echo off >"$PARAMS/mode" 2>/dev/null || true
		echo off >"$PARAMS/netns_mode" 2>/dev/null || true
		unload >/dev/null 2>&1 || echo "cleanup: rmmod ztdns failed" >&2
	fi
}
trap cleanup EXIT

# This test's part of the kernel log: lines stamped since it started (the
# earlier tests of the same boot logged similar lines).
LOG_SINCE=$(cut -d' ' -f1 /proc/uptime)
testlog() {
	dmesg | awk -v s="$LOG_SINCE" '{ t = substr($0, 2, index($0, "]") - 2) + 0 } t >= s'
}

# logged PATTERN: this test's kernel log has a line matching PATTERN
# (grep -E).  Counted, not grep -q: under pipefail an early exit of grep
# would fail the pipeline.
logged() {
	pretty check "kernel log has: $1"
	[ "$(testlog | grep -Ec -- "$1")" -gt 0 ] || fail "not in the kernel log: $1"
}
