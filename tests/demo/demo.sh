#!/bin/bash
# The ztdns demo, run inside the VM by scripts/demo.  Each step prints the
# command, then what it printed.
#
#   this host (enforcing)                 web (a network namespace)
#     veth0 203.0.113.1/24  <--- veth --->  veth1 203.0.113.80/24, HTTP :80
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$TOP/daemon:$PATH

step() { printf '\n### %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@" 2>&1 | sed 's/^/  /'; }
try() { printf '$ %s\n' "$*"; "$@" 2>&1 | sed 's/^/  /' || true; }

step "A web server at 203.0.113.80, in a namespace of its own"
ip netns add web
ip link add veth0 type veth peer name veth1 netns web
ip addr add 203.0.113.1/24 dev veth0
ip link set veth0 up
ip -n web addr add 203.0.113.80/24 dev veth1
ip -n web link set veth1 up
ip -n web link set lo up
mkdir -p /tmp/www && echo "hello from 203.0.113.80" >/tmp/www/index.html
ip netns exec web python3 -m http.server -b 203.0.113.80 -d /tmp/www 80 \
	>/dev/null 2>&1 &
for _ in $(seq 100); do
	ip netns exec web ss -Hltn 'sport = :80' | grep -q . && break
	sleep 0.1
done
run curl -sS -m 10 http://203.0.113.80/

step "Load ztdns, enforcing, as one modprobe.d line would at boot"
run insmod "$ZTDNS_KO" mode=enforce servers=192.0.2.53 subnets=198.51.100.0/24
run ztdnsctl status

step "Nothing resolved 203.0.113.80: the connection is refused at once"
try curl -sS -m 10 http://203.0.113.80/
run sh -c "dmesg | grep 'ztdns: block' | tail -n 1"

step "The resolver allows it (ztdnsd is not written yet: ztdnsctl stands in)"
run ztdnsctl allow add 203.0.113.80 ttl 30
run curl -sS -m 10 http://203.0.113.80/
run ztdnsctl allow list
run ztdnsctl stats

step "Unloading would open the host: refused while enforcing"
try rmmod ztdns
run ztdnsctl mode off
run rmmod ztdns

cat <<'EOT'

### Not yet implemented
ztdnsd, the DNS-over-TLS stub that adds entries like the one above for
every verified answer, comes next; until then entries are added by hand
with ztdnsctl, as shown.
EOT
