#!/bin/bash
# The race that Zero Trust DNS must never lose: 1,000 rounds of resolve,
# then connect at once, each to an address no earlier round used (AAAA
# rN.ztdns.test = 2001:db8:2::N), with zero failures.  Then the latency of
# a query through ztdnsd next to a query straight to the DoT server (both
# printed, never asserted), and fail-closed: ztdnsd killed with SIGKILL
# leaves enforcement as it was, and a restart recovers.
# Topology: tests/vm/ztdnsd.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dot.sh"
. "$(dirname "$0")/ztdnsd.sh"

zt_setup

block c tcp 2001:db8:2::3e7 80
out=$(zt_resolve -n 1000 -c 80 'r%d.ztdns.test' AAAA) || {
	echo "$out" | tail -n 20 >&2
	fail "resolve-then-connect rounds failed"
}
pretty c "$out"
case $out in *"rounds 1000 answered 1000 connected 1000 failed 0 "*) ;;
*) fail "want 1000 rounds answered and connected: $out" ;; esac
eq 1000 "$(ctl c --json allow list | jq '[.[] | select(.addr | startswith("2001:db8:2::"))] | length')" \
	"entries learned for r0..r999"
# And over TCP, IPv4 this time.
out=$(zt_resolve -T -n 100 -c 80 'r%d.ztdns.test' A) ||
	fail "TCP rounds failed: $out"
pretty c "$out"

# Latency, warm: 200 queries over one TCP connection through ztdnsd (new
# names: no cache hits) and 200 over one TLS connection straight to the
# DoT server, both with kdig +keepopen; medians in milliseconds.  Printed
# for the record, never asserted.
names() { seq "$1" "$2" | sed 's/^/r/; s/$/.ztdns.test A/'; }
# kdig_ms ARGS...: the median of kdig's per-query times.
kdig_ms() {
	ip netns exec "c-$pid" kdig +keepopen +noall +stats +time=8 "$@" 2>&1 |
		sed -n 's/.* in \([0-9.]*\) ms$/\1/p' | sort -n |
		awk '{ v[NR] = $1 } END { print NR " queries, median " v[int((NR + 1) / 2)] " ms" }'
}
# shellcheck disable=SC2046
via=$(kdig_ms @127.0.0.1 +tcp $(names 600 799))
# shellcheck disable=SC2046
direct=$(kdig_ms @203.0.113.53 +tls-ca="$DOT_PKI/ca.pem" \
	+tls-hostname="$DOT_NAME" $(names 800 999))
pretty "" "latency through ztdnsd: $via; straight to the DoT server: $direct"
case $via in "200 queries"*) ;; *) fail "kdig through ztdnsd: $via" ;; esac

# A flood: dnsperf with up to 10,000 queries outstanding, every name new
# (wildcard names: each one a query upstream).  ztdnsd keeps at most 4,096
# in flight and drops the rest; its memory stays bounded and it answers
# afterwards.
seq 20000 | sed 's/^/f/; s/$/.wild.ztdns.test A/' >"$DOT_TMP/flood"
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$ZT_PID/status"; }
before=$(rss)
nsx c dnsperf -s 127.0.0.1 -d "$DOT_TMP/flood" -l 10 -q 10000 -t 2 \
	>"$DOT_TMP/dnsperf.out" 2>&1 || true
grep -E "Queries (sent|completed|lost)" "$DOT_TMP/dnsperf.out" >&2 || true
after=$(rss)
pretty "" "ztdnsd's resident memory: $before KiB before the flood, $after KiB after"
# Growth, not size: ASan's shadow and redzones make the base larger.
[ $((after - before)) -lt 65536 ] ||
	fail "ztdnsd grew by $((after - before)) KiB under the flood"
expect zt_resolve -c 80 www.ztdns.test AAAA

# SIGKILL: enforcement stays, what was learned stays until it expires,
# nothing new is learned; a restart recovers.
pretty c "kill -9 ztdnsd"
kill -9 "$ZT_PID"
wait "$ZT_PID" 2>/dev/null || true
ZT_PID=
eq enforce "$(ctl c --json status | jget mode)" "mode after SIGKILL"
pass c tcp 2001:db8:2::1 80
block c tcp 198.51.100.10 80
refuse "no valid reply" ip netns exec "c-$pid" "$RESOLVE" www.ztdns.test A
block c tcp 198.51.100.10 80
zt_start "$ZT_CONF"
expect zt_resolve -c 80 www.ztdns.test A
zt_stop
