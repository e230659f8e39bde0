#!/bin/bash
# A full table does not lock other users out (issue 11, kernel item 7),
# end to end through ztdnsd and a real DoT server:
#
#   who does what                           what must hold
#   user A (uid 65534): 4 resolvers in a    the table stays full and evicts
#     loop, as fast as ztdnsd answers,      (evicted grows by more than the
#     each answer 16 addresses not in the   table holds during B's rounds)
#     table
#   user B (uid 1000): 100 rounds of        at least 99 connect
#     resolve, then connect at once, to
#     names whose addresses are not in
#     the table (ztdnsd answers from its
#     cache; the kernel must find room)
#   user B: two TCP connections opened      never cut (an echo for every
#     before the flood, a byte every        byte), and a last exchange after
#     0.2 s through it (names with TTL      the flood works
#     2 s: they live on grace alone)
#
# A's answers carry a longer TTL (ZT_FLOOD_TTL, default 86400) than B's
# (3600, less once they come from ztdnsd's cache): the flooder chooses its
# TTLs, and eviction must not favour them.  The kernel's side of the
# eviction runs on every kernel in 05-limits and KUnit; this test of the
# outcome through ztdnsd runs on the stock kernels (stock_only).
# max_entries 256, grace 10 s (a used entry is never evicted for a new one
# within grace of its last packet; B's connections send every 0.2 s).
# Topology: tests/vm/ztdnsd.sh, plus in s-PID an echo server on :7 and
# these names in the zone:
#
#   N.fK     N < 32, K < 4 (user A's)   16 A in 198.51.101.0-103.255,
#                                       16 AAAA 2001:db8:3:ID::1-10 (ID =
#                                       K * 32 + N, hex), TTL ZT_FLOOD_TTL
#   N.b4     N < 50 (user B's)          A 203.0.113.(100 + N), TTL 3600
#   N.b6     N < 50 (user B's)          AAAA 2001:db8:2:b::(N + 1), TTL 3600
#   keep4, keep6                        A 198.51.100.1, AAAA 2001:db8::7,
#                                       TTL 2
. "$(dirname "$0")/lib.sh"
stock_only
. "$(dirname "$0")/dot.sh"

MAX=256
FLOODERS=4
NAMES=32
PER=16
FLOOD_TTL=${ZT_FLOOD_TTL:-86400}
GRACE=10
USER_B="setpriv --reuid=1000 --regid=1000 --clear-groups"
# Users A and B look for these files: DOT_TMP (mode 0700) must let them in.
chmod 711 "$DOT_TMP"
STOP_FLOOD=$DOT_TMP/stop-flood
STOP_TALK=$DOT_TMP/stop-talk

DOT_ZONE_EXTRA=$DOT_TMP/flood.zone
awk -v p="$FLOODERS" -v m="$NAMES" -v per="$PER" -v ttl="$FLOOD_TTL" 'BEGIN {
	for (k = 0; k < p; k++) {
		for (n = 0; n < m; n++) {
			id = k * m + n
			for (j = 0; j < per; j++) {
				a = (id * per + j) % 768
				printf "%d.f%d\t%d\tIN\tA\t198.51.%d.%d\n", n, k, ttl,
					101 + int(a / 256), a % 256
				printf "%d.f%d\t%d\tIN\tAAAA\t2001:db8:3:%x::%x\n", n, k,
					ttl, id, j + 1
			}
		}
	}
	for (n = 0; n < 50; n++) {
		printf "%d.b4\t3600\tIN\tA\t203.0.113.%d\n", n, 100 + n
		printf "%d.b6\t3600\tIN\tAAAA\t2001:db8:2:b::%x\n", n, n + 1
	}
	print "keep4\t2\tIN\tA\t198.51.100.1"
	print "keep6\t2\tIN\tAAAA\t2001:db8::7"
}' >"$DOT_ZONE_EXTRA"

. "$(dirname "$0")/ztdnsd.sh"

# kv TEXT NAME: the number after NAME in ztdnsctl's TEXT ("NAME  N" lines),
# 0 if none.  No jq or awk while the flood runs: under emulation a new
# process then takes seconds to start.
kv() {
	local re="(^|"$'\n'")$2 +([0-9]+)"
	if [[ $1 =~ $re ]]; then echo "${BASH_REMATCH[2]}"; else echo 0; fi
}

load_module max_entries=$MAX
zt_topology
ip netns exec "s-$pid" python3 "$TOP/tests/vm/echo.py" :: 7 &
for _ in $(seq 100); do
	ip netns exec "s-$pid" ss -Hltn 'sport = :7' | grep -q . && break
	sleep 0.1
done
zt_conf "$ZT_CONF"
zt_start "$ZT_CONF"
pretty "" "at $SECONDS s: ztdnsd ready"
n0 ctl c set grace $GRACE

# B's names are asked once before the flood, so that during it ztdnsd
# answers them from its cache: under emulation a flooded guest can be too
# slow for a new TLS handshake (SERVFAIL, timed out), which is not what
# this test measures.  Their entries are then dropped: during the flood
# each answer must find room in the kernel's table again.
n0 ip netns exec "c-$pid" "$RESOLVE" -n 50 "%d.b4.ztdns.test" A
n0 ip netns exec "c-$pid" "$RESOLVE" -n 50 "%d.b6.ztdns.test" AAAA
n0 ctl c allow flush

declare -A talker
# B's two long-lived connections: resolve, connect, a byte every 0.2 s.
for k in keep4:198.51.100.1:A keep6:2001:db8::7:AAAA; do
	name=${k%%:*} rest=${k#*:}
	pretty c "user B: talker ${rest%:*} 7 after resolving $name"
	ip netns exec "c-$pid" $USER_B python3 "$TOP/tests/vm/talker.py" \
		"${rest%:*}" 7 --talk 600 --every 0.2 --idle 0 --timeout 15 \
		--until "$STOP_TALK" --before "$RESOLVE" "$name.ztdns.test" \
		"${rest##*:}" >"$DOT_TMP/talker-$name" 2>&1 &
	talker[$name]=$!
done
established() {
	[ "$(ip netns exec "c-$pid" ss -Htn state established 'dport = :7' | grep -c .)" = 2 ]
}
eventually established

# A's flood: 4 resolvers, each over its 64 names, A then AAAA, until
# told to stop; later rounds are ztdnsd cache hits, learned again all the
# same.
flooders=
for ((k = 0; k < FLOODERS; k++)); do
	pretty c "user A: resolve -n $NAMES %d.f$k.ztdns.test A, AAAA, in a loop"
	ip netns exec "c-$pid" $NOBODY bash -c '
		while [ ! -e "$1" ]; do
			"$2" -n "$3" "%d.f$4.ztdns.test" A
			"$2" -n "$3" "%d.f$4.ztdns.test" AAAA
		done' flood "$STOP_FLOOD" "$RESOLVE" "$NAMES" "$k" \
		>"$DOT_TMP/flood-$k" 2>&1 &
	flooders="$flooders $!"
done
# Full: no room for one more of A's answers.
full() {
	local st
	st=$(ctl c status)
	[ $(($(kv "$st" entries) + PER)) -gt $MAX ]
}
eventually full
pretty "" "at $SECONDS s: the table is full"

# connected OUTPUT: how many rounds of resolve's OUTPUT connected.
connected() { echo "$1" | awk '$1 == "rounds" { n = $6 } END { print n + 0 }'; }

# B: 100 rounds of resolve-then-connect, while the flood goes on.
st0=$(ctl c stats)
start=$SECONDS
out4=$(ip netns exec "c-$pid" $USER_B "$RESOLVE" -n 50 -c 80 "%d.b4.ztdns.test" A) || true
out6=$(ip netns exec "c-$pid" $USER_B "$RESOLVE" -n 50 -c 80 "%d.b6.ztdns.test" AAAA) || true
took=$((SECONDS - start))
st1=$(ctl c stats)
evicted=$(($(kv "$st1" evicted) - $(kv "$st0" evicted)))
refused=$(($(kv "$st1" insert_full) - $(kv "$st0" insert_full)))
ok=$(($(connected "$out4") + $(connected "$out6")))
pretty c "user B, A: $(echo "$out4" | tail -n 1)"
pretty c "user B, AAAA: $(echo "$out6" | tail -n 1)"
printf '%s\n' "$out4" "$out6" | grep '^round [0-9]' | head -n 10 >&2 || true
pretty "" "at ${SECONDS} s: user B: $ok of 100 connected in $took s; meanwhile $evicted entries evicted, $refused refused (insert_full)"

touch "$STOP_FLOOD"
for p in $flooders; do wait "$p" || true; done
pretty c "at $SECONDS s: user A: $(cat "$DOT_TMP"/flood-* | awk '$1 == "rounds" { r += $2; a += $4 }
	END { print r " queries, " a " answered" }')"
pretty c "stats: $(ctl c --json stats | jq -c .)"

# After the flood, one last exchange on each connection.
touch "$STOP_TALK"
for name in keep4 keep6; do
	wait "${talker[$name]}" || true
	out=$(cat "$DOT_TMP/talker-$name")
	# resolve's answer, then what talker says.
	pretty check "talker $name: $(echo $out)"
	case $out in
	*"alive "[0-9]*echo) ;;
	*) fail "user B's connection to $name: '$(echo $out)', want alive then echo" ;;
	esac
done

[ "$ok" -ge 99 ] || fail "user B connected $ok times in 100, want at least 99"
# The table really was full and turning over during B's rounds.
[ "$evicted" -gt $MAX ] ||
	fail "$evicted entries evicted during B's rounds, want more than $MAX"
