#!/bin/bash
# ztdnsd against hostile local clients and a hostile upstream, run with
# AddressSanitizer and UBSan (daemon/ztdnsd-asan): any report in its log
# fails the test.  Every part runs even when one before it failed (ztdnsd
# is started again if it died); the test fails at the end if any did.
#
#   who sends what                       what they must get
#   any local user: 100 TCP clients      nothing freed under the event
#     resetting (SO_LINGER 0) around     loop: ztdnsd alive, clean, and
#     their answers' time, while UDP     answering
#     cache hits keep the loop busy
#   any local user: 64 queries in        no busy loop on the reset: little
#     flight, then a reset               CPU time while they wait
#   any local user: 300 connections      slots freed by the per-message
#     dripping one byte at a time, from  deadline and by eviction: a normal
#     8 source addresses; 100 from one   client's TCP query is answered;
#     address; 20 with slots to spare    one address holds at most 64;
#                                        each closed 5 s after its first
#                                        byte
#   any local user: 10 connections that  closed once the write stalls
#     ask for 730 KB of answers and
#     never read
#   any local user: a UDP flood of new  every query of another client
#     names the protective server holds  answered (NOERROR) meanwhile:
#     (an authoritative server that      sent at once, not behind the
#     never answers), 1000 a second      held ones; at ztdnsd's limit of
#                                        queries in flight, the oldest
#                                        held one makes room
#   the protective server: closes with   a new connection, the queries
#     queries in flight                  resent and answered; backed off
#                                        when it never answers
#   root: the module reloaded            ztdnsd finds the new family and
#                                        sets it up again
#
# Topology: tests/vm/ztdnsd.sh, plus flakydot.py on 203.0.113.55, .56 and
# .57 in s-PID (TLS, forwarding to the unbound on 203.0.113.53).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dot.sh"
. "$(dirname "$0")/ztdnsd.sh"

# The kernel's hostile-input tests run on all kernels.
stock_only

HOSTILE=$TOP/tests/vm/hostile.py
FLAKY=$TOP/tests/vm/flakydot.py
FAILED=

# soft_fail WHAT: count a failed check and go on to the next part.
soft_fail() { echo "FAIL: $*" >&2; FAILED="$FAILED${FAILED:+; }$*"; }

eq_soft() { [ "$1" = "$2" ] || soft_fail "$3: want '$1', got '$2'"; }
hostile() { pretty c "hostile.py $*"; ip netns exec "c-$pid" python3 "$HOSTILE" "$@"; }

# cpu_ticks: ztdnsd's user + system time so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$ZT_PID/stat" 2>/dev/null || echo 0; }

# established SRC: ztdnsd's established TCP connections from SRC (a regex);
# those still in the listener's accept queue have no process yet and do
# not count.
established() {
	ip netns exec "c-$pid" ss -Htnp state established '( sport = :53 )' |
		awk -v s="^($1):" -v p="pid=$ZT_PID," '$4 ~ s && index($0, p)' |
		wc -l
}

# logged_soft PART PATTERN: ztdnsd's log has a line matching PATTERN.
logged_soft() {
	pretty check "$1: ztdnsd log has: $2"
	grep -Eq -- "$2" "$ZT_LOG" || soft_fail "$1: not in ztdnsd's log: $2"
}

# zt_keep NAME: ztdnsd's log kept as $ZTDNS_OUT/ztdnsd-hostile-NAME.log.
zt_keep() { cp "$ZT_LOG" "${ZTDNS_OUT:-$DOT_TMP}/ztdnsd-hostile-$1.log" || true; }

# zt_sane PART: ztdnsd still runs, its log is free of sanitizer reports,
# and it answers a normal client over UDP and TCP; or else a failure of
# PART, its log kept, and ztdnsd started again.
zt_sane() {
	local part=$1 ok=1
	pretty check "$part: ztdnsd alive, no sanitizer report, answering"
	if ! kill -0 "$ZT_PID" 2>/dev/null; then
		soft_fail "$part: ztdnsd died"
		ok=0
	elif ! zt_resolve www.ztdns.test A >/dev/null ||
		! zt_resolve -T www.ztdns.test AAAA >/dev/null; then
		soft_fail "$part: a normal client got no answer"
		ok=0
	fi
	if zt_san_shown; then
		soft_fail "$part: sanitizer report in ztdnsd's log"
		ok=0
	fi
	[ "$ok" = 1 ] && return 0
	zt_keep "$part"
	zt_stop
	zt_start "$ZT_CONF"
}

zt_setup
pretty "" "ztdnsd with ASan and UBSan: $ZTD"
expect zt_resolve www.ztdns.test A
expect zt_resolve -T huge.ztdns.test AAAA

pretty "" "resets around answer time, while UDP cache hits keep the loop busy"
for _ in $(seq 2000); do echo "www.ztdns.test A"; done >"$DOT_TMP/hits"
ip netns exec "c-$pid" dnsperf -s 127.0.0.1 -d "$DOT_TMP/hits" -l 600 \
	-q 20 >"$DOT_TMP/dnsperf.out" 2>&1 &
perf=$!
cpu0=$(cpu_ticks)
hostile reset --clients 100 --rounds 15 || soft_fail "reset: hostile.py failed"
kill "$perf" 2>/dev/null || true
wait "$perf" 2>/dev/null || true
pretty "" "ztdnsd's CPU time during the resets: $(($(cpu_ticks) - cpu0)) ticks"
zt_sane reset

pretty "" "a reset with 64 queries in flight (the server stopped): no busy loop"
ubpid=$(cat "$(dot_dir s 203.0.113.53)/unbound.pid")
expect zt_resolve x1.wild.ztdns.test A
n0 kill -STOP "$ubpid"
hostile pending --queries 64 --wait 0.5 || soft_fail "pending: hostile.py failed"
cpu0=$(cpu_ticks)
sleep 3
ticks=$(($(cpu_ticks) - cpu0))
n0 kill -CONT "$ubpid"
pretty "" "ztdnsd's CPU time in the 3 s after the reset: $ticks ticks"
[ "$ticks" -le 50 ] || soft_fail "pending: ztdnsd spun, $ticks ticks of CPU in 3 s"
sleep 3
zt_sane pending

pretty "" "300 dripping connections from 8 addresses: a normal TCP query passes"
hostile drip --conns 300 --sources 127.0.0.2-9 --every 2 --for 30 \
	>"$DOT_TMP/drip.out" &
drip=$!
sleep 15
held=$(established '127\.0\.0\.[2-9]')
pretty "" "slots held by the drips: $held"
[ "$held" -le 256 ] || soft_fail "drip: $held connections held, more than 256"
zt_resolve -T www.ztdns.test A >/dev/null ||
	soft_fail "drip: a normal TCP query failed"
zt_resolve -T c1.ztdns.test AAAA >/dev/null ||
	soft_fail "drip: a second normal TCP query failed"
wait "$drip" || soft_fail "drip: hostile.py failed"
pretty c "$(cat "$DOT_TMP/drip.out")"
logged_soft drip "closing TCP client 127\.0\.0\.[2-9]: every TCP slot is taken"
zt_sane drip

# The evictions above come first in the rate-limited log: the deadline
# alone, with slots to spare.
pretty "" "20 dripping connections, slots to spare: closed 5 s after their first byte"
out=$(hostile drip --conns 20 --sources 127.0.0.12-12 --every 1 --for 9) ||
	soft_fail "deadline: hostile.py failed"
pretty c "$out"
closed=$(echo "$out" | sed -n 's/.*, \([0-9]*\) closed by the server$/\1/p')
[ "${closed:-0}" -ge 20 ] ||
	soft_fail "deadline: dripping connections not closed: $out"
logged_soft deadline "closing TCP client 127\.0\.0\.12: its query did not arrive whole in time"
zt_sane deadline

pretty "" "100 dripping connections from one address: at most 64 held"
hostile drip --conns 100 --sources 127.0.0.11-11 --every 1 --for 14 \
	>"$DOT_TMP/drip1.out" &
drip=$!
sleep 10
held=$(established '127\.0\.0\.11')
pretty "" "connections from 127.0.0.11: $held"
[ "$held" -le 64 ] || soft_fail "per-source: $held connections from one address"
wait "$drip" || soft_fail "per-source: hostile.py failed"
pretty c "$(cat "$DOT_TMP/drip1.out")"
logged_soft per-source "closing TCP client 127\.0\.0\.11: its address has too many connections"
zt_sane per-source

pretty "" "10 clients that ask for 128 large answers each and never read"
out=$(hostile noread --conns 10 --queries 128 --for 15 huge.ztdns.test AAAA) ||
	soft_fail "noread: hostile.py failed"
pretty c "$out"
case $out in
"noread: 10 connections, 10 closed"*) ;;
*) soft_fail "noread: not every stalled client was closed: $out" ;;
esac
logged_soft noread "closing TCP client 127\.0\.0\.10: it does not read its answers"
zt_sane noread

pretty "" "the module reloaded under ztdnsd: it finds the family again"
n0 ctl c mode off
unload
load_module
out=$(zt_resolve www.ztdns.test A | head -n 1) || true
[ "$out" = "NOERROR 198.51.100.10" ] ||
	soft_fail "reload: www after the reload: '$out'"
eq_soft enforce "$(ctl c --json status | jget mode)" "reload: mode set again"
eq_soft "203.0.113.53:853" "$(ctl c server list)" "reload: servers set again"
zt_resolve -c 80 c1.ztdns.test A >/dev/null ||
	soft_fail "reload: resolve then connect after the reload"
zt_sane reload
logged_soft reload "the ztdns module was reloaded: setting it up again"
zt_keep clients
zt_stop
if zt_san_shown; then
	soft_fail "exit: sanitizer report in ztdnsd's log"
fi

pretty "" "a protective server that closes with queries in flight"
ca=$DOT_PKI/ca.pem
n0 ip -n "s-$pid" addr add 203.0.113.55/24 dev vs
n0 ip -n "s-$pid" addr add 203.0.113.56/24 dev vs
ip netns exec "s-$pid" python3 "$FLAKY" 203.0.113.55 "$DOT_PKI/server.pem" \
	"$DOT_PKI/server.key" 203.0.113.53 --answer 2 >"$DOT_TMP/flaky55.out" 2>&1 &
ip netns exec "s-$pid" python3 "$FLAKY" 203.0.113.56 "$DOT_PKI/server.pem" \
	"$DOT_PKI/server.key" 203.0.113.53 --answer 0 >"$DOT_TMP/flaky56.out" 2>&1 &
for a in 55 56; do
	for _ in $(seq 100); do
		ip netns exec "s-$pid" ss -Hltn "sport = :853 and src 203.0.113.$a" |
			grep -q . && break
		sleep 0.2
	done
done
zt_conf "$ZT_CONF" "$(zt_server 203.0.113.55 auth_name="$DOT_NAME" ca_file="$ca")"
zt_start "$ZT_CONF"
out=$(zt_resolve -n 20 'fl%d.wild.ztdns.test' A) ||
	soft_fail "flaky: not every query answered: $(echo "$out" | tail -n 1)"
pretty c "$(echo "$out" | tail -n 1)"
out=$(zt_resolve -T -n 20 'ft%d.wild.ztdns.test' A) ||
	soft_fail "flaky: not every TCP query answered: $(echo "$out" | tail -n 1)"
pretty c "$(echo "$out" | tail -n 1)"
pretty s "flakydot.py: $(grep -c closed "$DOT_TMP/flaky55.out") connections closed"
zt_sane flaky
zt_keep flaky
zt_stop

pretty "" "a protective server that closes every connection unanswered: backed off"
zt_conf "$ZT_CONF" "$(zt_server 203.0.113.56 auth_name="$DOT_NAME" ca_file="$ca")"
zt_start "$ZT_CONF"
before=$(grep -c closed "$DOT_TMP/flaky56.out" || true)
out=$(zt_dig www.ztdns.test A | grep -o 'status: [A-Z]*') || true
eq_soft "status: SERVFAIL" "$out" "silent: the answer"
sleep 3
n=$(($(grep -c closed "$DOT_TMP/flaky56.out" || true) - before))
pretty s "flakydot.py: $n connections in about 10 s"
[ "$n" -le 12 ] || soft_fail "silent: $n connections: not backed off"
grep -q "retrying in" "$ZT_LOG" || soft_fail "silent: no backoff logged"
zt_keep silent
zt_stop
if zt_san_shown; then
	soft_fail "silent: sanitizer report in ztdnsd's log"
fi

pretty "" "a local user floods names the protective server holds: others are answered"
n0 ip -n "s-$pid" addr add 203.0.113.57/24 dev vs
ip netns exec "s-$pid" python3 "$FLAKY" 203.0.113.57 "$DOT_PKI/server.pem" \
	"$DOT_PKI/server.key" 203.0.113.53 --answer 1000000000 \
	--hold-names slow >"$DOT_TMP/flaky57.out" 2>&1 &
for _ in $(seq 100); do
	ip netns exec "s-$pid" ss -Hltn "sport = :853 and src 203.0.113.57" |
		grep -q . && break
	sleep 0.2
done
zt_conf "$ZT_CONF" "$(zt_server 203.0.113.57 auth_name="$DOT_NAME" ca_file="$ca")"
zt_start "$ZT_CONF"
pretty c "hostile.py flood --rate 1000 --for 60 slow-%d.wild.ztdns.test A (as nobody)"
# shellcheck disable=SC2086 # $NOBODY is a command and its options
ip netns exec "c-$pid" $NOBODY python3 "$HOSTILE" flood --rate 1000 --for 60 \
	'slow-%d.wild.ztdns.test' A >"$DOT_TMP/flood.out" 2>&1 &
flood=$!
# Past the pipeline of 128 the old ztdnsd kept, and, when this machine lets
# the flood reach it, at the limit of queries in flight: held queries
# displaced by newer ones (a slow machine may not get there; the client's
# queries are checked all the same).
sleep 8
if grep -q "displaced by a newer query" "$ZT_LOG"; then
	pretty "" "ztdnsd is at its limit of queries in flight"
else
	pretty "" "the flood did not bring ztdnsd to its limit of queries in flight"
fi
out=$(zt_resolve -n 10 'hol%d.wild.ztdns.test' A) ||
	soft_fail "hol: not every query answered during the flood: $(echo "$out" | tail -n 1)"
pretty c "$(echo "$out" | tail -n 1)"
out=$(zt_resolve -T -n 5 'holt%d.wild.ztdns.test' A) ||
	soft_fail "hol: not every TCP query answered during the flood: $(echo "$out" | tail -n 1)"
pretty c "$(echo "$out" | tail -n 1)"
kill "$flood" 2>/dev/null ||
	soft_fail "hol: the flood ended before the normal client's queries"
wait "$flood" || soft_fail "hol: hostile.py failed"
pretty c "$(cat "$DOT_TMP/flood.out")"
kill -USR1 "$ZT_PID" 2>/dev/null || true
sleep 0.5
pretty "" "ztdnsd: $(grep -E 'queries [0-9]+, cache' "$ZT_LOG" | tail -n 1)"
zt_sane hol
zt_keep hol
zt_stop
if zt_san_shown; then
	soft_fail "hol: sanitizer report in ztdnsd's log"
fi

[ -z "$FAILED" ] || fail "$FAILED"
