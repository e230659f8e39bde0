#!/bin/bash
# An unprivileged user gets EPERM on every netlink operation (dumps too)
# and on joining the "events" group (which names other users' processes),
# EACCES on every sysfs write; nothing changes.  Root may join the group.
. "$(dirname "$0")/lib.sh"

load_module
n0 $NOBODY python3 "$ZTNL" privilege
n0 python3 "$ZTNL" events-join
refuse "permission denied" $NOBODY "$CTL" monitor
for c in "status" "stats" "mode enforce" "set grace 1" "allow add 192.0.2.1" \
	"allow del 192.0.2.1" "allow list" "allow flush" "subnet add 192.0.2.0/24" \
	"subnet list" "server add 192.0.2.53" "server list"; do
	# shellcheck disable=SC2086
	refuse "permission denied" $NOBODY "$CTL" $c
done
for p in mode netns_mode grace min_ttl max_ttl max_entries log allow_dhcp \
	allow_ndp servers subnets; do
	before=$(cat "$PARAMS/$p")
	refuse "Permission denied" $NOBODY bash -c "echo 1 > $PARAMS/$p"
	eq "$before" "$(cat "$PARAMS/$p")" "$p after a refused write"
done
eq audit "$($CTL --json status | jget mode)" "mode"
eq 0 "$($CTL --json status | jget entries)" "entries"
