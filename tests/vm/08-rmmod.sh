#!/bin/bash
# While any namespace enforces, rmmod fails with EBUSY; boot-time
# parameters enforce before any daemon runs; teardown under traffic and
# with namespaces still enforcing leaves no warning (the harness checks the
# kernel log, and kmemleak at the end).
#
#   a-PID, b-PID: dummy namespaces as in 02-decision
. "$(dirname "$0")/lib.sh"

# One modprobe.d-style line enforces from the start.
load_module mode=enforce servers=192.0.2.53 subnets=198.51.100.0/24 grace=10
eq enforce "$($CTL --json status | jget mode)" "mode"
eq 10 "$($CTL --json status | jget grace)" "grace"
n0 ip link add ztdum1 type dummy
n0 ip addr add 192.0.2.1/24 dev ztdum1
n0 ip link set ztdum1 up
n0 ip route replace 198.51.100.0/24 dev ztdum1
n0 ip route replace 203.0.113.0/24 dev ztdum1
out=$("$PROBE" tcp 192.0.2.53 853) || true
eq pass "$out" "the boot-time server"
out=$("$PROBE" tcp 198.51.100.7 443) || true
eq pass "$out" "the boot-time subnet"
out=$("$PROBE" tcp 203.0.113.7 443) || true
eq refused "$out" "anything else"

refuse "in use" rmmod ztdns
n0 sh -c "echo audit > $PARAMS/mode"
n0 ip link del ztdum1

# A child namespace that enforces pins the module too.
ns_dummy a
n0 ctl a mode enforce
refuse "in use" rmmod ztdns
n0 ctl a mode audit
n0 ctl a mode enforce
n0 ip netns del "a-$pid"

# netns_mode makes new namespaces enforce from birth.
n0 sh -c "echo enforce > $PARAMS/netns_mode"
ns_dummy b
eq enforce "$(ctl b --json status | jget mode)" "mode of a new namespace"
block b udp 203.0.113.7 53
refuse "in use" rmmod ztdns
n0 sh -c "echo off > $PARAMS/netns_mode"

# Traffic flowing while the namespace goes away, then while unloading.
n0 ctl b allow add 203.0.113.7
ip netns exec "b-$pid" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    for i in range(1, 20):
        try:
            s.sendto(b"x", ("203.0.113.%d" % i, 9))
        except OSError:
            pass' &
flood=$!
ns_dummy c
n0 ctl c mode audit
ip netns exec "c-$pid" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    try:
        s.sendto(b"x", ("203.0.113.1", 9))
    except OSError:
        pass' &
flood2=$!
sleep 2
kill "$flood"
wait "$flood" || true
n0 ip netns del "b-$pid"
unload
expect test ! -d /sys/module/ztdns
kill "$flood2"
wait "$flood2" || true
n0 ip netns del "c-$pid"
logged 'ztdns: unloaded'
