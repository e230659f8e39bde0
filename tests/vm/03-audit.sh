#!/bin/bash
# The audit trail: one kernel log line per refused packet, naming protocol,
# addresses, ports, uid, pid and command; the same as events on the
# "events" multicast group (ztdnsctl monitor); permits only at log level 2;
# mode changes and flushes logged too; both rate-limited under a flood.
#
#   a-PID: dummy0 as in 02-decision, mode enforce; a monitor listens in it
. "$(dirname "$0")/lib.sh"

load_module
ns_dummy a
n0 ctl a mode enforce
logged 'ztdns: mode off -> enforce \(netns'

monitor_start a /tmp/events-$pid.json
mon=$!

# Refused as an unprivileged user: uid and command in the log line.
n0 ip netns exec "a-$pid" $NOBODY "$PROBE" udp 203.0.113.9 5353 --sport 40001 || true
block a tcp 2001:db8:2::9 443 --sport 40002
line=$(testlog | grep 'ztdns: block udp 192.0.2.1:40001 -> 203.0.113.9:5353' || true)
pretty check "log line: $line"
case $line in
*" uid=65534 pid="[0-9]*" comm=probe") ;;
*) fail "no or wrong log line for the UDP block: '$line'" ;;
esac
logged 'ztdns: block tcp \[2001:db8::1\]:40002 -> \[2001:db8:2::9\]:443 uid=0 pid=[0-9]* comm=probe'

# Audit mode logs would-be blocks as "audit"; permits only at level 2.
n0 ctl a mode audit
pass a tcp 203.0.113.10 443 --sport 40003
logged 'ztdns: audit tcp 192.0.2.1:40003 -> 203.0.113.10:443 uid=0'
n0 ctl a subnet add 198.51.100.0/24
pass a tcp 198.51.100.5 443 --sport 40004
n0 ctl a set log 2
pass a tcp 198.51.100.6 443 --sport 40005
expect test -z "$(testlog | grep 'permit tcp 192.0.2.1:40004' || true)"
logged 'ztdns: permit tcp 192.0.2.1:40005 -> 198.51.100.6:443'
n0 ctl a set log 0
pass a tcp 203.0.113.11 443 --sport 40006
expect test -z "$(testlog | grep ':40006 ' || true)"

n0 ctl a allow add 203.0.113.12
n0 ctl a allow flush
logged 'ztdns: flushed 1 allow entries \(netns'

# A flood: events stop at events_per_sec (20 here) a second and the rest
# are counted as dropped; log lines stop at 10 per 5 s and a summary says
# how many were held back.
n0 ctl a set log 1
n0 sh -c "echo 20 > $PARAMS/events_per_sec"
dropped=$(counter a events_dropped)
nsx a python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2000):
    s.sendto(b"x", ("203.0.113.99", 9))
'
expect test "$(counter a events_dropped)" -gt "$dropped"
n0 sh -c "echo 1000 > $PARAMS/events_per_sec"
refuse "Invalid argument" bash -c "echo 0 > $PARAMS/events_per_sec"
for _ in $(seq 100); do
	[ "$(testlog | grep -c 'audit lines suppressed')" -gt 0 ] && break
	sleep 0.2
done
logged 'ztdns: [0-9]+ audit lines suppressed \(netns'

kill -INT "$mon"
wait "$mon" || true
pretty check "events: $(wc -l </tmp/events-$pid.json)"
python3 - "/tmp/events-$pid.json" <<'PY' || fail "events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
def find(**kw):
    return [e for e in ev if all(str(e.get(k)) == str(v) for k, v in kw.items())]
want = [
    dict(verdict="block", proto="udp", daddr="203.0.113.9", dport=5353, sport=40001, uid=65534, comm="probe"),
    dict(verdict="block", proto="tcp", daddr="2001:db8:2::9", dport=443, sport=40002, uid=0),
    dict(verdict="audit", proto="tcp", daddr="203.0.113.10", dport=443),
    dict(verdict="permit", proto="tcp", daddr="198.51.100.6", dport=443),
    dict(verdict="audit", proto="tcp", daddr="203.0.113.11", dport=443),
]
bad = [w for w in want if not find(**w)]
for w in bad:
    print("missing event", w)
if find(daddr="198.51.100.5"):
    print("a permit event at log level 1")
    bad.append(1)
print(len(ev), "events;", ev[0])
sys.exit(1 if bad else 0)
PY
