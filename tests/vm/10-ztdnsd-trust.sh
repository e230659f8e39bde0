#!/bin/bash
# ztdnsd trusts a protective server only as configured: a wrong SPKI pin, a
# wrong auth_name or an untrusted CA each give SERVFAIL and teach the
# kernel nothing; a pin alone is enough; a client certificate is offered
# to a server that demands one; a server that is down gives SERVFAIL, and
# with a second server ztdnsd fails over to it (refused, or silent).  Also:
# a missing module and an invalid file are clear errors; ztdnsd runs as its
# user with only CAP_NET_ADMIN; when the kernel refuses an answer's
# addresses (table full, module gone) the client gets SERVFAIL.
# Topology: tests/vm/ztdnsd.sh.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dot.sh"
. "$(dirname "$0")/ztdnsd.sh"

conf=$ZT_CONF
ca=$DOT_PKI/ca.pem

# Without the module: a clear error, exit 1.
zt_topology
zt_conf "$conf"
refuse "module not loaded" ip netns exec "c-$pid" "$ZTD" -f -c "$conf"
# Room for every answer below but "huge" (200 addresses).
load_module max_entries=150

# An invalid file: exit 1, the line named, nothing done.
mode=$(ctl c --json status | jget mode)
sed '3a listen = 127.0.0.1:99999' "$conf" >"$DOT_TMP/bad.conf"
refuse "bad.conf:4: key 'listen'" ip netns exec "c-$pid" "$ZTD" -f -c "$DOT_TMP/bad.conf"
eq "$mode" "$(ctl c --json status | jget mode)" "mode after a bad file"
eq "" "$(ctl c server list)" "servers after a bad file"

# entries: how many allow entries the client namespace has.
entries() { ctl c --json allow list | jq length; }

# servfail CONF WHY: with CONF, www fails and nothing is learned.
servfail() {
	zt_start "$1"
	eq "SERVFAIL" "$(zt_resolve www.ztdns.test A | head -n 1)"
	eq 0 "$(entries)" "allow entries after SERVFAIL"
	block c tcp 198.51.100.10 80
	zt_logged "$2"
	zt_stop
}

# works CONF NAME TYPE: with CONF, NAME resolves and connects.
works() {
	zt_start "$1"
	expect zt_resolve -c 80 "$2" "$3"
	zt_stop
	n0 ctl c allow flush
}

pin=$(cat "$DOT_PKI/pin")
rogue=$(cat "$DOT_PKI/rogue-pin")

pretty "" "a pin that does not match the server's key"
zt_conf "$conf" "$(zt_server 203.0.113.53 auth_name="$DOT_NAME" \
	ca_file="$ca" pin="sha256/$rogue")"
servfail "$conf" "SPKI pin mismatch"

pretty "" "a pin alone, wrong"
zt_conf "$conf" "$(zt_server 203.0.113.53 pin="sha256/$rogue")"
servfail "$conf" "SPKI pin mismatch"

pretty "" "an auth_name the certificate does not carry"
zt_conf "$conf" "$(zt_server 203.0.113.53 auth_name=other.ztdns.test \
	ca_file="$ca")"
servfail "$conf" "certificate: .*(CN|name)"

pretty "" "a CA that did not sign the server's certificate"
zt_conf "$conf" "$(zt_server 203.0.113.53 auth_name="$DOT_NAME" \
	ca_file="$DOT_PKI/rogue-ca.pem")"
servfail "$conf" "certificate: .*not (correctly signed|trusted)"

pretty "" "the right pin alone: no CA, no name"
zt_conf "$conf" "$(zt_server 203.0.113.53 pin="sha256/$rogue" \
	pin="sha256/$pin")"
works "$conf" www.ztdns.test A

pretty "" "mutual TLS: a peer that demands a client certificate gets ours"
# unbound does not ask for client certificates: openssl s_server does (it
# speaks no DNS, so the query itself times out; the handshake is the test).
ip netns exec "s-$pid" openssl s_server -quiet \
	-accept 203.0.113.53:8853 -cert "$DOT_PKI/server.pem" \
	-key "$DOT_PKI/server.key" -Verify 1 \
	-CAfile "$DOT_PKI/client-ca.pem" </dev/null >/dev/null 2>&1 &
mtls=$!
for _ in $(seq 100); do
	ip netns exec "s-$pid" ss -Hltn 'sport = :8853' | grep -q . && break
	sleep 0.1
done
srv=$(zt_server 203.0.113.53 port=8853 auth_name="$DOT_NAME" ca_file="$ca")
zt_conf "$conf" "$srv"
zt_start "$conf"
zt_resolve www.ztdns.test A >/dev/null || true
zt_logged "server 203.0.113.53:8853 .*TLS handshake: "
zt_stop
zt_conf "$conf" "$srv" "client_cert = $DOT_PKI/client.pem" \
	"client_key = $DOT_PKI/client.key"
zt_start "$conf"
zt_resolve www.ztdns.test A >/dev/null || true
zt_logged "server 203.0.113.53:8853 .*: connected"
zt_stop
kill "$mtls" 2>/dev/null || true

pretty "" "failover: the first server is down, the second answers"
zt_conf "$conf" \
	"$(zt_server 203.0.113.53 auth_name="$DOT_NAME" ca_file="$ca")" \
	"$(zt_server 203.0.113.54 auth_name="$DOT_NAME" ca_file="$ca")"
dot_stop s 203.0.113.53
zt_start "$conf"
eq 2 "$(ctl c server list | grep -c :853)" "servers in the kernel"
expect zt_resolve -c 80 www.ztdns.test A
zt_logged "server 203.0.113.53:853 .*connect: Connection refused"
[ "$(dot_queries s 203.0.113.54 'www.ztdns.test. A')" -ge 1 ] ||
	fail "the second server saw no query"

pretty "" "the second server goes down too: SERVFAIL, nothing learned"
dot_stop s 203.0.113.54
n0 ctl c allow flush
eq "SERVFAIL" "$(zt_resolve short.ztdns.test A | head -n 1)"
eq 0 "$(entries)" "allow entries after SERVFAIL"
zt_stop

pretty "" "a first server that never answers (SYNs dropped): timeout, then the second"
n0 ip -n "s-$pid" addr add 203.0.113.77/32 dev vs
nsx s nft -f - <<-EOF
	table inet blackhole {
		chain in {
			type filter hook input priority 0;
			ip daddr 203.0.113.77 drop
		}
	}
EOF
dot_start s 203.0.113.54
zt_conf "$conf" \
	"$(zt_server 203.0.113.77 auth_name="$DOT_NAME" ca_file="$ca")" \
	"$(zt_server 203.0.113.54 auth_name="$DOT_NAME" ca_file="$ca")"
zt_start "$conf"
expect zt_resolve -c 80 www.ztdns.test AAAA
zt_logged "server 203.0.113.77:853 .*connect: timed out"
zt_stop

pretty "" "privileges: user nobody, CAP_NET_ADMIN only, and it still works"
zt_conf "$conf" "user = nobody" \
	"$(zt_server 203.0.113.54 auth_name="$DOT_NAME" ca_file="$ca")"
chmod 0755 "$DOT_TMP" "$DOT_PKI"
chmod 0644 "$ca"
zt_start "$conf"
eq 65534 "$(awk '/^Uid:/ { print $2 }' "/proc/$ZT_PID/status")" "ztdnsd's uid"
eq 0000000000001000 "$(awk '/^CapEff:/ { print $2 }' "/proc/$ZT_PID/status")" \
	"ztdnsd's effective capabilities (CAP_NET_ADMIN)"
eq 0000000000000000 "$(awk '/^CapBnd:/ { print $2 }' "/proc/$ZT_PID/status")" \
	"ztdnsd's bounding set"
expect zt_resolve -c 80 c1.ztdns.test A
zt_stop

pretty "" "the kernel refuses (table full): SERVFAIL, and the log says why"
n0 ctl c allow flush
zt_start "$conf"
expect zt_resolve -c 80 www.ztdns.test A
eq "SERVFAIL" "$(zt_resolve -T huge.ztdns.test AAAA | head -n 1)"
zt_logged "the kernel refused 200 addresses for huge.ztdns.test. AAAA: .*"
block c tcp 2001:db8:1::1 80

pretty "" "the module goes away under ztdnsd: SERVFAIL"
n0 ctl c mode off
unload
eq "SERVFAIL" "$(zt_resolve c1.ztdns.test A | head -n 1)"
zt_logged "the kernel refused 1 address for c1.ztdns.test. A"
zt_stop
