#!/bin/bash
# ztdnsd's lifecycle: SIGHUP reloads the file with no gap in service or
# enforcement (a client resolving fresh names and connecting to them in a
# loop sees every query answered while ztdnsd reloads again and again,
# and ztdnsd stays the same process); a new server and pin are used after
# the reload, with an empty cache; a broken file, or one whose CA file
# cannot be read, is refused and the running configuration keeps
# answering; and a setup that fails (a bad CA file, a port in use) leaves
# the kernel's mode as it was.
# Topology: tests/vm/ztdnsd.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dot.sh"
. "$(dirname "$0")/ztdnsd.sh"
stock_only

conf=$ZT_CONF
ca=$DOT_PKI/ca.pem

# hup WHAT: SIGHUP, then wait for the log's verdict on it (the Nth
# reload's), which must be WHAT ("reloaded" or "reload refused").
hups=0
hup() {
	hups=$((hups + 1))
	pretty c "kill -HUP ztdnsd (expecting: $1)"
	kill -HUP "$ZT_PID"
	for _ in $(seq 100); do
		[ "$(grep -Ec '(reloaded|reload refused)' "$ZT_LOG")" -ge "$hups" ] &&
			break
		sleep 0.1
	done
	grep -E '(reloaded|reload refused)' "$ZT_LOG" | sed -n "${hups}p" |
		grep -Eq -- "$1" || {
		tail -n 20 "$ZT_LOG" >&2
		fail "reload $hups: no '$1' in the log"
	}
	kill -0 "$ZT_PID" 2>/dev/null || fail "ztdnsd died on SIGHUP"
}

zt_setup
zpid=$ZT_PID
eq enforce "$(ctl c --json status | jget mode)" "mode set by ztdnsd"

pretty "" "reloads while a client resolves and connects in a loop"
# Fresh names each round (rN AAAA, no cache hit): each goes upstream, and
# each answer must reach the kernel before the client connects.
ip netns exec "c-$pid" "$RESOLVE" -n 400 -c 80 'r%d.ztdns.test' AAAA \
	>"$DOT_TMP/loop.out" 2>&1 &
rpid=$!
sleep 0.5
n=0
while kill -0 "$rpid" 2>/dev/null && [ "$n" -lt 20 ]; do
	kill -HUP "$ZT_PID" 2>/dev/null || break
	n=$((n + 1))
	sleep 0.3
done
# A fast host may finish the loop first: the reloads then stay to be done
# (the loop's result still counts), at least 3 in all.
while [ "$n" -lt 3 ]; do
	kill -HUP "$ZT_PID" 2>/dev/null || break
	n=$((n + 1))
	sleep 0.3
done
rc=0
wait "$rpid" || rc=$?
out=$(tail -n 1 "$DOT_TMP/loop.out")
pretty c "$n reloads during: $out"
kill -0 "$zpid" 2>/dev/null || fail "ztdnsd died during the reloads"
eq "$zpid" "$ZT_PID" "ztdnsd's pid"
[ "$n" -ge 3 ] || fail "only $n reloads happened during the loop"
case $out in *"answered 400 connected 400 failed 0 "*) ;;
*) tail -n 20 "$DOT_TMP/loop.out" >&2
	fail "queries failed during the reloads (rc $rc): $out" ;; esac
[ "$rc" = 0 ] || fail "resolve exited $rc"
zt_logged "reloaded .*: 1 protective server"
# Signals sent during a reload may merge into one: at least 3, no more
# than were sent.
sleep 1
hups=$(grep -Ec '(reloaded|reload refused)' "$ZT_LOG")
[ "$hups" -ge 3 ] && [ "$hups" -le "$n" ] ||
	fail "$hups reloads logged for $n SIGHUPs"
eq 0 "$(grep -c 'reload refused' "$ZT_LOG")" "reloads refused"

pretty "" "a new server and a wrong pin: the reload takes them"
rogue=$(cat "$DOT_PKI/rogue-pin")
zt_conf "$conf" "$(zt_server 203.0.113.54 pin="sha256/$rogue")"
hup reloaded
eq "203.0.113.54:853" "$(ctl c server list)" "kernel servers after the reload"
eq SERVFAIL "$(zt_resolve r1000.ztdns.test A | head -n 1)" \
	"with the wrong pin"
zt_logged "server 203.0.113.54:853: .*SPKI pin mismatch"

pretty "" "the right pin: the new server answers"
zt_conf "$conf" "$(zt_server 203.0.113.54 pin="sha256/$(cat "$DOT_PKI/pin")")"
hup reloaded
before53=$(dot_queries s 203.0.113.53 'www.ztdns.test. A')
expect zt_resolve -c 80 www.ztdns.test A
[ "$(dot_queries s 203.0.113.54 'www.ztdns.test. A')" -ge 1 ] ||
	fail "the new server saw no query"
eq "$before53" "$(dot_queries s 203.0.113.53 'www.ztdns.test. A')" \
	"queries to the old server"
block c tcp 203.0.113.53 853
pass c tcp 203.0.113.54 853

pretty "" "a reload empties the cache: the old answers are not the new verdicts"
q='www.ztdns.test. A'
n54=$(dot_queries s 203.0.113.54 "$q")
expect zt_resolve -c 80 www.ztdns.test A
eq "$n54" "$(dot_queries s 203.0.113.54 "$q")" "upstream queries for a cached answer"
hup reloaded
expect zt_resolve -c 80 www.ztdns.test A
eq $((n54 + 1)) "$(dot_queries s 203.0.113.54 "$q")" \
	"upstream queries for that name after a reload"

pretty "" "a broken file: refused, the running configuration answers"
good=$(cat "$conf")
printf '%s\nport = 0\n' "$good" >"$conf"
hup "reload refused.*ztdnsd.conf:[0-9]+: key 'port': invalid port '0'"
expect zt_resolve -c 80 c1.ztdns.test A
eq "203.0.113.54:853" "$(ctl c server list)" "kernel servers after a refusal"

pretty "" "a file whose CA file is missing: refused, nothing changes"
zt_conf "$conf" "allow_subnet = 192.0.2.0/24" "$(zt_server 203.0.113.53 \
	auth_name="$DOT_NAME" ca_file="$DOT_TMP/missing-ca.pem")"
hup "reload refused.*cannot read CA file '$DOT_TMP/missing-ca.pem'"
expect zt_resolve -c 80 'x.wild.ztdns.test' A
eq "203.0.113.54:853" "$(ctl c server list)" "kernel servers after a refusal"
eq "" "$(ctl c subnet list)" "kernel subnets after a refusal"
eq "$zpid" "$ZT_PID" "ztdnsd's pid"
kill -0 "$zpid" || fail "ztdnsd is gone"
echo "$good" >"$conf"

pretty "" "a port in use at start: exit 1, the mode stays enforce"
zt_conf "$DOT_TMP/audit.conf" "mode = audit" \
	"$(zt_server 203.0.113.53 auth_name="$DOT_NAME" ca_file="$ca")"
sed -i '/^mode = enforce$/d' "$DOT_TMP/audit.conf"
refuse "cannot listen on 127.0.0.1:53" \
	ip netns exec "c-$pid" "$ZTD" -f -c "$DOT_TMP/audit.conf"
eq enforce "$(ctl c --json status | jget mode)" "mode after a failed start"
zt_stop

pretty "" "a bad CA file at start: exit 1, the mode and servers stay"
n0 ctl c mode audit
n0 ctl c server del 203.0.113.54
zt_conf "$DOT_TMP/badca.conf" "$(zt_server 203.0.113.53 \
	auth_name="$DOT_NAME" ca_file="$DOT_PKI/server.key")"
refuse "cannot read CA file" \
	ip netns exec "c-$pid" "$ZTD" -f -c "$DOT_TMP/badca.conf"
eq audit "$(ctl c --json status | jget mode)" "mode after a bad CA file"
eq "" "$(ctl c server list)" "kernel servers after a bad CA file"
