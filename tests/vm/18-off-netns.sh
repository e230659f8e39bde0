#!/bin/bash
# A namespace that stays off costs nothing: no hooks on its packet path
# (nor tables, counters or reaper) until it first leaves off or is given an
# entry; then it works as any other.  Reading an off namespace (status,
# stats, list) or clearing it changes nothing, and a loop of unshare -n
# leaves nothing behind (the harness scans kmemleak at the end).
#
# The hooks are read with "nft list hooks", which needs the kernel's
# nfnetlink_hook (the debug kernel has it; Debian's 6.1 kernel does not):
# without it only the behaviour is checked.
. "$(dirname "$0")/lib.sh"

load_module

# hooks NS: the number of ztdns hook functions registered in NS.
hooks() {
	ip netns exec "$1-$pid" nft list hooks 2>/dev/null |
		grep -c 'ztdns_hook' || true
}
can_see=0
if nft list hooks 2>/dev/null | grep -q 'ztdns_hook'; then
	can_see=1	# the initial namespace is always active: 4 hooks
	eq 4 "$(nft list hooks | grep -c ztdns_hook)" "hooks of the initial namespace"
fi
echo "hooks visible: $can_see"
seen() { [ "$can_see" = 0 ] || eq "$2" "$(hooks "$1")" "ztdns hooks in $1"; }

# Born off: nothing registered; reads and clears answer, changing nothing.
ns_dummy a
seen a 0
eq off "$(ctl a --json status | jget mode)" "mode of a"
eq 0 "$(ctl a --json status | jget entries)" "entries of a"
eq 0 "$(ctl a --json stats | jq '[.[]] | add')" "counters of a"
eq "" "$(ctl a allow list)" "allow list of a"
refuse "no entry" ctl a allow del 192.0.2.9
expect ctl a allow flush
expect ctl a subnet add 198.51.100.0/24
expect ctl a server add 192.0.2.53
expect ctl a set grace 7
expect ctl a mode off
seen a 0
pass a udp 203.0.113.9 53

# Leaving off sets it up, at once and for good.
expect ctl a mode enforce
seen a 4
pass a tcp 198.51.100.7 443
pass a tcp 192.0.2.53 853
block a tcp 203.0.113.9 443
eq 1 "$(ctl a --json stats | jq .blocked)" "blocked in a"
expect ctl a mode off
seen a 4
pass a tcp 203.0.113.9 443

# An entry given to an off namespace sets up its tables (and hooks).
ns_dummy b
seen b 0
expect ctl b allow add 203.0.113.5 ttl 60
seen b 4
eq 1 "$(ctl b --json status | jget entries)" "entries of b"
expect ctl b mode enforce
pass b tcp 203.0.113.5 443
block b tcp 203.0.113.6 443
expect ctl b mode audit

# netns_mode other than off: set up from birth.
n0 sh -c "echo enforce > $PARAMS/netns_mode"
ns_dummy c
seen c 4
eq enforce "$(ctl c --json status | jget mode)" "mode of c"
block c tcp 203.0.113.9 443
expect ctl c mode audit
n0 sh -c "echo off > $PARAMS/netns_mode"

# Namespaces that come and go off, and some that were set up.
for i in $(seq 30); do
	unshare -n true
done
for i in $(seq 10); do
	unshare -n "$CTL" mode audit >/dev/null
	unshare -n "$CTL" allow add 192.0.2.7 >/dev/null
done
