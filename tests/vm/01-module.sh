#!/bin/bash
# The module skeleton: it loads, registers its generic netlink family and
# its LOCAL_OUT hooks (IPv4 and IPv6) in every network namespace, takes its
# mode from a parameter, refuses bad parameter values, and unloads cleanly.
#
#   host (init_net): mode from the module parameter
#   zt1-PID:         a namespace made after loading: mode netns_mode (off)
. "$(dirname "$0")/lib.sh"

refuse "Invalid parameters" insmod "$ZTDNS_KO" mode=bogus
expect test ! -d /sys/module/ztdns

load_module
eq audit "$(cat $PARAMS/mode)" "default mode"
eq off "$(cat $PARAMS/netns_mode)" "default netns_mode"
eq audit "$($CTL --json status | jget mode)" "ztdnsctl status"
expect $CTL status

n0 genl ctrl get name ztdns >/tmp/genl.txt
expect grep -q 'Name: ztdns' /tmp/genl.txt
expect grep -q 'events' /tmp/genl.txt

# The hooks see locally sent IPv4 and IPv6 packets (Debian's kernel has no
# nfnetlink_hook to list them): a datagram to a dummy device counts.
packets() { $CTL --json stats | jget packets; }
n0 ip link add ztdum0 type dummy
n0 ip addr add 198.51.100.1/24 dev ztdum0
n0 ip addr add 2001:db8::1/64 dev ztdum0 nodad
n0 ip link set ztdum0 up
before=$(packets)
n0 bash -c 'echo x >/dev/udp/198.51.100.2/9'
# At least that one (the kernel may send MLD or ND of its own), and it was
# logged as a would-be block (mode audit).
expect test "$(packets)" -ge $((before + 1))
logged 'ztdns: audit udp 198.51.100.1:[0-9]* -> 198.51.100.2:9 '
# The initial namespace's counters are in sysfs too.
now=$(packets)
expect test "$(cat /sys/module/ztdns/stats/packets)" -ge "$now"
expect test "$(cat /sys/module/ztdns/stats/audited)" -ge 1
before=$(packets)
n0 bash -c 'echo x >/dev/udp/2001:db8::2/9'
expect test "$(packets)" -gt "$before"
logged 'ztdns: audit udp \[2001:db8::1\]:[0-9]* -> \[2001:db8::2\]:9 '

# A bad value is refused and changes nothing; a good one is taken.
refuse "Invalid argument" bash -c "echo enforced > $PARAMS/mode"
eq audit "$(cat $PARAMS/mode)" "mode after a bad write"
n0 sh -c "echo enforce > $PARAMS/mode"
eq enforce "$(cat $PARAMS/mode)" "mode after a good write"
eq enforce "$($CTL --json status | jget mode)" "ztdnsctl status"

# A namespace made now starts in netns_mode, with hooks of its own.
n0 ip netns add "zt1-$pid"
eq off "$(ip netns exec "zt1-$pid" "$CTL" --json status | jget mode)" "new netns mode"
eq 0 "$(ip netns exec "zt1-$pid" "$CTL" --json stats | jget packets)" \
	"packets of the new namespace"
eq enforce "$($CTL --json status | jget mode)" "init_net mode unchanged"
n0 ip netns del "zt1-$pid"

n0 sh -c "echo off > $PARAMS/mode"
before=$(packets)
n0 bash -c 'echo x >/dev/udp/198.51.100.2/9'
eq "$before" "$(packets)" "packets counted in mode off"
n0 ip link del ztdum0
n0 rmmod ztdns
expect test ! -d /sys/module/ztdns
refuse "module not loaded" "$CTL" status
logged 'ztdns: loaded, version'
logged 'ztdns: unloaded'
