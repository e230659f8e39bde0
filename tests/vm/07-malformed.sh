#!/bin/bash
# Bad input is refused with a clear message and changes nothing: malformed
# netlink (short addresses, prefixes beyond 32/128, unknown family, unknown
# attributes, out-of-range values) and invalid sysfs values.
. "$(dirname "$0")/lib.sh"

load_module
n0 $CTL allow add 192.0.2.10
n0 $CTL subnet add 198.51.100.0/24
n0 $CTL server add 192.0.2.53
n0 python3 "$ZTNL" malformed

# Each parameter refuses values that do not parse or are out of range.
bad() {
	local p=$1 before
	shift
	before=$(cat "$PARAMS/$p")
	for v in "$@"; do
		refuse "Invalid argument" bash -c "echo '$v' > $PARAMS/$p"
		eq "$before" "$(cat "$PARAMS/$p")" "$p after writing '$v'"
	done
}
bad mode enforced 3 ""
bad netns_mode Audit
bad grace -1 604801 1x
bad min_ttl 86401 abc
bad max_ttl 4 604801
bad max_entries 0 -5 4294967296
bad log 3 -1 two
bad allow_dhcp maybe 2
bad servers 192.0.2.1:0 "192.0.2.1,nope" "[2001:db8::1" 192.0.2.1:70000
bad subnets 198.51.100.1/24 10.0.0.0/33 "2001:db8::/129" "x/8"

# A good list replaces the initial namespace's, and is shown.
n0 sh -c "echo '192.0.2.53,[2001:db8::53]:8853' > $PARAMS/servers"
eq "192.0.2.53,[2001:db8::53]:8853" "$(cat "$PARAMS/servers")" "servers"
eq 2 "$($CTL --json server list | jq length)" \
	"servers after the write"
