# ztdnsd in the VM tests: a client namespace that enforces, with ztdnsd on
# its loopback, and a server namespace with two unbound DoT servers (dot.sh)
# and a TCP sink on port 80 behind every address the test zone gives out.
# Sourced after lib.sh and dot.sh.
#
#   c-PID: ztdns enforce (set by ztdnsd),          s-PID
#     ztdnsd on 127.0.0.1:53, [::1]:53
#     vc 203.0.113.1/24      <---- veth ---->  vs 203.0.113.53/24 (DoT 1)
#        2001:db8:ff::1/64                        203.0.113.54/24 (DoT 2)
#     default routes via vs                       2001:db8:ff::53/64
#                                                 lo: local 198.51.100.0/24,
#                                                 203.0.113.96-199,
#                                                 2001:db8::/46 (AnyIP),
#                                                 sink.py on :80
#
#   zt_topology               make the above, start both DoT servers
#   zt_setup                  load the module, zt_topology, then ztdnsd
#                             with the default configuration ($ZT_CONF)
#   zt_conf FILE [LINES...]   a configuration: [daemon] with mode enforce,
#                             then LINES (default: one [server], the first
#                             DoT server, auth_name and the test CA)
#   zt_server ADDR [KEY=VALUE...]  the lines of a [server] section
#   zt_start FILE             ztdnsd -f in c-PID; returns once it is ready
#   zt_stop                   SIGTERM, and wait
#   zt_resolve ARGS...        tests/vm/resolve in c-PID (see resolve.c)
#   zt_dig ARGS...            kdig @127.0.0.1 in c-PID
# shellcheck shell=bash

# ztdnsd built with AddressSanitizer and UBSan (make tools): the first
# report aborts it, and zt_stop and the end of the test fail on any report
# in its log (LeakSanitizer's at exit too).  On the debug kernel, which
# hunts the kernel's bugs and is slow already, the plain build (for make
# check's time; ZTDNS_HOSTILE_ON_DEBUG=1 takes the sanitized one there).
# ZTDNS_ZTDNSD=plain takes the plain build anywhere (the benchmarks).
ZTD=$TOP/daemon/ztdnsd-asan
if [ "${ZTDNS_ZTDNSD:-}" = plain ] ||
	{ [ "${ZTDNS_KERNEL:-}" = debug ] && [ -z "${ZTDNS_HOSTILE_ON_DEBUG:-}" ]; }; then
	ZTD=$TOP/daemon/ztdnsd
fi
[ -x "$ZTD" ] || fail "$ZTD missing: make tools"
# A small quarantine keeps its memory close to ztdnsd's own (11-ztdnsd-race
# bounds it).
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:quarantine_size_mb=16
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
SAN='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)Sanitizer'
RESOLVE=$TOP/tests/vm/resolve
ZT_LOG=$DOT_TMP/ztdnsd.log
ZT_CONF=$DOT_TMP/ztdnsd.conf
ZT_PID=

zt_topology() {
	ns_new c
	ns_new s
	n0 ip link add vc netns "c-$pid" type veth peer name vs netns "s-$pid"
	n0 ip -n "c-$pid" addr add 203.0.113.1/24 dev vc
	n0 ip -n "c-$pid" addr add 2001:db8:ff::1/64 dev vc nodad
	n0 ip -n "s-$pid" addr add 203.0.113.53/24 dev vs
	n0 ip -n "s-$pid" addr add 203.0.113.54/24 dev vs
	n0 ip -n "s-$pid" addr add 2001:db8:ff::53/64 dev vs nodad
	n0 ip -n "c-$pid" link set vc up
	n0 ip -n "s-$pid" link set vs up
	n0 ip -n "c-$pid" route add default via 203.0.113.53
	n0 ip -n "c-$pid" -6 route add default via 2001:db8:ff::53
	n0 ip -n "s-$pid" route add local 198.51.100.0/24 dev lo
	# rN's A records, 203.0.113.100-199, on the link: s answers ARP.
	for p in 96/27 128/26 192/29; do
		n0 ip -n "s-$pid" route add local "203.0.113.$p" dev lo
	done
	n0 ip -n "s-$pid" -6 route add local 2001:db8::/46 dev lo
	ip netns exec "s-$pid" python3 "$TOP/tests/vm/sink.py" 80 &
	dot_start s 203.0.113.53
	dot_start s 203.0.113.54
	for _ in $(seq 100); do
		ip netns exec "s-$pid" ss -Hltn 'sport = :80' | grep -q . && return
		sleep 0.1
	done
	fail "sink.py did not start"
}

zt_setup() {
	load_module
	zt_topology
	zt_conf "$ZT_CONF"
	zt_start "$ZT_CONF"
}

zt_server() {
	local addr=$1 kv
	shift
	echo "[server]"
	echo "address = $addr"
	for kv; do echo "${kv%%=*} = ${kv#*=}"; done
}

zt_conf() {
	local file=$1
	shift
	{
		echo "[daemon]"
		echo "mode = enforce"
		echo "min_ttl = 1"
		if [ $# -gt 0 ]; then
			printf '%s\n' "$@"
		else
			zt_server 203.0.113.53 auth_name="$DOT_NAME" \
				ca_file="$DOT_PKI/ca.pem"
		fi
	} >"$file"
}

zt_start() {
	: >"$ZT_LOG"
	pretty c "ztdnsd -f -v -c $1"
	ip netns exec "c-$pid" "$ZTD" -f -v -c "$1" >>"$ZT_LOG" 2>&1 &
	ZT_PID=$!
	for _ in $(seq 300); do
		grep -q " ready: " "$ZT_LOG" && return
		kill -0 "$ZT_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$ZT_LOG" >&2
	fail "ztdnsd did not start"
}

zt_stop() {
	[ -n "$ZT_PID" ] || return 0
	pretty c "kill ztdnsd"
	kill "$ZT_PID" 2>/dev/null || true
	wait "$ZT_PID" 2>/dev/null || true
	ZT_PID=
	zt_no_san
}

# zt_san_shown: whether ztdnsd's log holds a sanitizer report (shown on
# stderr if it does).
zt_san_shown() {
	grep -Eq "$SAN" "$ZT_LOG" 2>/dev/null || return 1
	grep -E -A30 "$SAN" "$ZT_LOG" | head -n 60 >&2
}

# zt_no_san: ztdnsd's log holds no sanitizer report.
zt_no_san() {
	if zt_san_shown; then
		fail "a sanitizer report in ztdnsd's log"
	fi
}

zt_resolve() { pretty c "resolve $*"; ip netns exec "c-$pid" "$RESOLVE" "$@"; }
zt_dig() { ip netns exec "c-$pid" kdig @127.0.0.1 +time=8 +retry=0 "$@"; }

# zt_logged PATTERN: ztdnsd's log has, or gets within 10 s, a line matching
# PATTERN (grep -E): what ztdnsd logs after the answer, too.
zt_logged() {
	local i
	pretty check "ztdnsd log has: $1"
	for i in $(seq 50); do
		[ "$(grep -Ec -- "$1" "$ZT_LOG")" -gt 0 ] && return
		sleep 0.2
	done
	tail -n 20 "$ZT_LOG" >&2
	fail "not in ztdnsd's log: $1"
}

_zt_cleanup() {
	local rc=$1
	if [ "$rc" != 0 ] && [ -s "$ZT_LOG" ]; then
		echo "--- ztdnsd log (tail)" >&2
		tail -n 30 "$ZT_LOG" >&2
	fi
	if [ -n "$ZT_PID" ]; then
		kill "$ZT_PID" 2>/dev/null || true
		wait "$ZT_PID" 2>/dev/null || true
	fi
	# A report found only now (at exit, say) fails a test that passed.
	if [ "$rc" = 0 ] && zt_san_shown; then
		echo "FAIL: a sanitizer report in ztdnsd's log" >&2
		return 1
	fi
}
trap 'rc=$?; _zt_cleanup $rc || rc=1; _dot_cleanup $rc; cleanup; exit $rc' EXIT
