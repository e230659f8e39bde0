#!/bin/bash
# The ztdns demo, run inside the VM by scripts/demo.  Each step prints the
# command, then what it printed.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$TOP/daemon:$PATH

step() { printf '\n### %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@" 2>&1 | sed 's/^/  /'; }

step "Load the module, enforcing in this (the initial) network namespace"
run insmod "$ZTDNS_KO" mode=enforce
run cat /sys/module/ztdns/parameters/mode
run ztdnsctl status
run sh -c "dmesg | grep ztdns:"

step "Outbound packets pass through ztdns's LOCAL_OUT hooks"
run ip link add ztdum0 type dummy
run ip addr add 192.0.2.1/24 dev ztdum0
run ip link set ztdum0 up
run bash -c 'echo hello >/dev/udp/192.0.2.7/443 && echo sent'
run ztdnsctl stats

cat <<'EOT'

### Not yet implemented
This is the foundation stage of ztdns.  The module loads, registers its
netlink family and its IPv4/IPv6 LOCAL_OUT hooks in every network namespace
and counts what they see, but it does not yet refuse anything: the allow
tables, the dmesg audit trail and the ztdnsd DNS-over-TLS stub come next.
The datagram above was therefore sent although nothing allowed 192.0.2.7.
EOT

step "Unload"
run sh -c 'echo off > /sys/module/ztdns/parameters/mode'
run rmmod ztdns
