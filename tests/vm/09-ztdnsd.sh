#!/bin/bash
# ztdnsd end to end against a real DNS-over-TLS server: what an application
# resolves through it, it can connect to at once, and nothing else; AAAA,
# CNAME chains, TCP, large answers, anti-rebinding, TTL expiry, and a cache
# hit that renews the kernel's entry.  Topology: tests/vm/ztdnsd.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dot.sh"
. "$(dirname "$0")/ztdnsd.sh"

zt_setup
eq enforce "$(ctl c --json status | jget mode)" "mode set by ztdnsd"
eq "203.0.113.53:853" "$(ctl c server list)" "servers installed by ztdnsd"

# Before anything is resolved, the web server is out of reach.
block c tcp 198.51.100.10 80
block c tcp 2001:db8::10 80
# ... but the DoT server is not.
pass c tcp 203.0.113.53 853

# A and AAAA: resolve, then connect at once.
expect zt_resolve -c 80 www.ztdns.test A
expect zt_resolve -c 80 www.ztdns.test AAAA
eq "NOERROR 198.51.100.10" "$(zt_resolve www.ztdns.test A | head -n 1)"
# What was not resolved stays blocked: the neighbour of the address, and
# the next one of the zone.
block c tcp 198.51.100.9 80
block c tcp 198.51.100.11 80

# A CNAME chain: the addresses at its end are learned.
eq "NOERROR 198.51.100.12" "$(zt_resolve c1.ztdns.test A | head -n 1)"
pass c tcp 198.51.100.12 80
expect zt_resolve -c 80 c1.ztdns.test AAAA

# Over TCP, several queries on one connection (kdig +keepopen).
out=$(zt_dig +tcp +keepopen +short c2.ztdns.test A wild.ztdns.test A x.wild.ztdns.test A)
pretty c "kdig +tcp: $(echo $out)"
case $out in *198.51.100.30*) ;; *) fail "no wildcard answer over TCP" ;; esac
pass c tcp 198.51.100.30 80

# An answer larger than 512 bytes: UDP without EDNS is truncated (TC), the
# same over TCP is whole; all 40 addresses are learned.
out=$(zt_dig +noedns +ignore many.ztdns.test A)
echo "$out" | grep -Eq 'Flags:.* tc( |;|$)' || fail "no TC over plain UDP: $out"
eq 40 "$(zt_dig +tcp +short many.ztdns.test A | grep -c .)" "addresses over TCP"
pass c tcp 198.51.100.100 80
pass c tcp 198.51.100.139 80
# 200 AAAA records, about 5.7 KB, over TCP; every one learned.
eq 200 "$(zt_dig +tcp +short huge.ztdns.test AAAA | grep -c .)" "huge over TCP"
pass c tcp 2001:db8:1::c8 80
expect zt_resolve -T -c 80 huge.ztdns.test AAAA >/dev/null

# Anti-rebinding: a private or loopback address is neither learned nor
# answered (its record leaves the reply), and that is logged.
eq "NOERROR" "$(zt_resolve private.ztdns.test A | head -n 1)"
zt_logged "neither learning nor answering 10.1.2.3 for private.ztdns.test. A: private"
eq "NOERROR" "$(zt_resolve loop.ztdns.test A | head -n 1)"
zt_logged "neither learning nor answering 127.0.0.2 .*loopback"
eq "NOERROR 198.51.100.20" "$(zt_resolve mixed.ztdns.test A | head -n 1)"
pass c tcp 198.51.100.20 80
block c udp 192.168.1.20 80

# NXDOMAIN is passed through and teaches nothing.
eq "NXDOMAIN" "$(zt_resolve nothere.ztdns.test A | head -n 1)"

# TTL: "short" has TTL 2 (min_ttl 1); after TTL and grace it is blocked
# again.  Resolving it again (a cache hit while the cached reply lives, or
# a new upstream answer after) renews the kernel entry.
n0 ctl c set grace 1
expect zt_resolve -c 80 short.ztdns.test A
sleep 5
block c tcp 198.51.100.11 80
expect zt_resolve -c 80 short.ztdns.test A

# A cache hit renews the kernel's entry: resolve a name (cached for 300 s),
# drop its entry behind ztdnsd's back, ask again, connect.
expect zt_resolve c3.ztdns.test A
n0 ctl c allow del 198.51.100.12
block c tcp 198.51.100.12 80
before=$(dot_queries s 203.0.113.53 'c3.ztdns.test. A')
expect zt_resolve -c 80 c3.ztdns.test A
eq "$before" "$(dot_queries s 203.0.113.53 'c3.ztdns.test. A')" \
	"upstream queries for c3 A (a cache hit asks nobody)"
# The renewed entry lives at least as long as the TTL the client is told
# (read after it, so only later), and that is the cached TTL, not min_ttl.
left=$(ctl c --json allow list | jq '[.[] | select(.addr == "198.51.100.12")][0].expires')
ttl=$(zt_dig +noall +answer c3.ztdns.test A | awk '$4 == "A" { print $2 }')
pretty "" "the kernel entry's expiry $left s, then the cached reply's TTL $ttl s"
[ "$left" != null ] && [ "$ttl" -gt 5 ] && [ $((left + 1)) -ge "$ttl" ] &&
	[ "$left" -le 301 ] ||
	fail "renewed entry expires in $left s, the client was told $ttl s"

# After 10 s idle ztdnsd closes its connection; the next one resumes the
# TLS session.
zt_logged "203.0.113.53:853 .*: connected$"
sleep 11
zt_logged "closing idle connection"
expect zt_resolve -c 80 y.wild.ztdns.test A
zt_logged "connected, TLS session resumed"

# SIGUSR1: the counters, in the log.
kill -USR1 "$ZT_PID"
sleep 1
zt_logged "queries [0-9]+, cache hits [1-9]"

zt_stop
zt_logged "stopping"
