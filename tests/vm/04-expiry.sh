#!/bin/bash
# Entry lifetime with a real TCP peer: a connection that keeps talking
# outlives its entry's TTL; once idle longer than grace it is cut; the dead
# entry is then reaped.  Also the same for an unused entry, and re-adding
# never shortens.
#
#   a-PID (enforce, min_ttl 1, grace 4)      b-PID
#     va 203.0.113.1/24  <--- veth --->  vb 203.0.113.2/24, echo on :7
. "$(dirname "$0")/lib.sh"

load_module
ns_new a
ns_new b
n0 ip link add va netns "a-$pid" type veth peer name vb netns "b-$pid"
n0 ip -n "a-$pid" addr add 203.0.113.1/24 dev va
n0 ip -n "b-$pid" addr add 203.0.113.2/24 dev vb
n0 ip -n "a-$pid" link set va up
n0 ip -n "b-$pid" link set vb up
ip netns exec "b-$pid" python3 "$TOP/tests/vm/echo.py" 203.0.113.2 7 &
for _ in $(seq 100); do
	ip netns exec "b-$pid" ss -Hltn 'sport = :7' | grep -q . && break
	sleep 0.1
done

n0 ctl a set min_ttl 1 grace 4
n0 ctl a mode enforce
block a tcp 203.0.113.2 7

# Add an entry with a TTL of 6 s, talk for 14 s, then stay idle for 9 s
# (beyond grace, 4 s).
blocked=$(counter a blocked)
out=$(nsx a python3 "$TOP/tests/vm/talker.py" 203.0.113.2 7 --talk 14 --every 0.5 \
	--idle 9 --before "$CTL" allow add 203.0.113.2 ttl 6)
pretty check "talker: $(echo $out)"
case $out in
"alive "*cut) ;;
*) fail "talker said '$out', want alive then cut" ;;
esac
# The kernel refused the last byte: counted and logged.
expect test "$(counter a blocked)" -gt "$blocked"
logged 'ztdns: block tcp 203.0.113.1:[0-9]* -> 203.0.113.2:7'

# The dead entry is reaped (the reaper runs every 5 s).
for _ in $(seq 150); do
	[ "$(ctl a --json status | jget entries)" = 0 ] && break
	sleep 0.2
done
eq 0 "$(ctl a --json status | jget entries)" "entries after reaping"
expect test "$(counter a expired)" -ge 1
eq "[]" "$(ctl a --json allow list | tr -d ' \n')" "allow list"

# Re-adding extends, never shortens: 60 s then 1 s leaves about 60 s.
n0 ctl a allow add 203.0.113.2 ttl 60
n0 ctl a allow add 203.0.113.2 ttl 1
left=$(ctl a --json allow list | jq '.[0].expires')
pretty check "expires in $left s"
expect test "$left" -ge 50 -a "$left" -le 60
pass a tcp 203.0.113.2 7
