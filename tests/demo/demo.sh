#!/bin/bash
# The ztdns demo, run inside the VM by scripts/demo: Zero Trust DNS from a
# user's seat.  Each step prints the command, then what it printed.
#
#   this host (enforcing)                     net-PID (stands for the network)
#     ztdnsd on 127.0.0.1:53                    dot.ztdns.test 203.0.113.53:853
#     resolv.conf: nameserver 127.0.0.1           (unbound, DNS over TLS)
#     veth0 203.0.113.1/24  <--- veth --->      www.ztdns.test 198.51.100.10:80
#                                                 (and every 198.51.100.0/24)
. "$(dirname "$0")/../vm/lib.sh"
. "$(dirname "$0")/../vm/dot.sh"
PATH=$TOP/daemon:$PATH

# start_ztdnsd: ztdnsd in the foreground, in the background; once ready.
start_ztdnsd() {
	printf '$ ztdnsd -f -c %s &\n' "$conf"
	ztdnsd -f -c "$conf" >"$DOT_TMP/ztdnsd.log" 2>&1 &
	zpid=$!
	for _ in $(seq 100); do
		grep -q " ready: " "$DOT_TMP/ztdnsd.log" && return
		sleep 0.1
	done
}
step() { printf '\n### %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@" 2>&1 | sed 's/^/  /'; }
try() { printf '$ %s\n' "$*"; "$@" 2>&1 | sed 's/^/  /' || true; }

step "The network: a protective DNS server and a web server"
ns_new net 2>/dev/null
ip link add veth0 type veth peer name veth1 netns "net-$pid"
ip addr add 203.0.113.1/24 dev veth0
ip link set veth0 up
ip route add 198.51.100.0/24 via 203.0.113.53
ip -n "net-$pid" addr add 203.0.113.53/24 dev veth1
ip -n "net-$pid" link set veth1 up
ip -n "net-$pid" route add local 198.51.100.0/24 dev lo
dot_start net 203.0.113.53 2>/dev/null
mkdir -p /tmp/www && echo "hello from www.ztdns.test" >/tmp/www/index.html
ip netns exec "net-$pid" python3 -m http.server -d /tmp/www 80 \
	>/dev/null 2>&1 &
for _ in $(seq 100); do
	ip netns exec "net-$pid" ss -Hltn 'sport = :80' | grep -q . && break
	sleep 0.1
done
run curl -sS -m 10 http://198.51.100.10/
run curl -sS -m 10 http://198.51.100.11/

step "Load ztdns, enforcing, as one modprobe.d line would at boot"
run insmod "$ZTDNS_KO" mode=enforce servers=203.0.113.53:853
run ztdnsctl status

step "Nothing was resolved: connections are refused at once"
try curl -sS -m 10 http://198.51.100.10/
run sh -c "dmesg | grep 'ztdns: block' | tail -n 1"

step "ztdnsd, the resolver: DNS over TLS to the protective server only"
conf=$DOT_TMP/ztdnsd.conf
cat >"$conf" <<EOF
[daemon]
listen = 127.0.0.1
mode = enforce

[server]
address = 203.0.113.53
auth_name = dot.ztdns.test
ca_file = $DOT_PKI/ca.pem
pin = sha256/$(cat "$DOT_PKI/pin")
EOF
run cat "$conf"
run ztdnsd --check -c "$conf"
start_ztdnsd
sed 's/^/  /' "$DOT_TMP/ztdnsd.log"
echo "nameserver 127.0.0.1" >/etc/resolv.conf
run cat /etc/resolv.conf

step "Resolve, then connect: ztdnsd allowed the answer before curl saw it"
run curl -sS -m 10 http://www.ztdns.test/
run ztdnsctl allow list

step "Only what the protective server answered: the neighbour stays closed"
try curl -sS -m 10 http://198.51.100.11/

step "An answer that points into the private network is neither learned nor answered"
try getent hosts private.ztdns.test
try curl -sS -m 5 http://private.ztdns.test/
run grep "neither learning" "$DOT_TMP/ztdnsd.log"

step "ztdnsd dies: enforcement stays (fail closed), a restart recovers"
printf '$ kill -9 %s\n' "$zpid"
kill -9 "$zpid"
wait "$zpid" 2>/dev/null || true
run ztdnsctl status
try curl -sS -m 10 http://www.ztdns.test/
try curl -sS -m 10 http://198.51.100.11/
start_ztdnsd
run curl -sS -m 10 http://www.ztdns.test/
run kill "$zpid"

step "Unloading would open the host: refused while enforcing"
try rmmod ztdns
run ztdnsctl mode off
run rmmod ztdns
