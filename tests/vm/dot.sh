# A real DNS-over-TLS server for the VM tests: unbound, authoritative for
# the test zone ztdns.test., run inside a test's network namespace.
# Sourced after lib.sh (bash):
#
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/dot.sh"
#	ns_new srv
#	... veth, addresses ...
#	dot_start srv 203.0.113.53            # TLS on :853, plain DNS on :53
#	kdig @203.0.113.53 +tls-ca="$DOT_PKI/ca.pem" \
#		+tls-hostname="$DOT_NAME" www.ztdns.test
#
# Functions:
#
#   dot_pki DIR               test PKI (openssl, EC P-256) in DIR; files:
#       ca.pem ca.key             test CA, self-signed ("ztdns test CA")
#       server.pem server.key     leaf for dot.ztdns.test signed by ca
#                                 (SAN DNS:dot.ztdns.test, serverAuth)
#       rogue-ca.pem rogue-ca.key a second, untrusted CA
#       rogue.pem rogue.key       leaf for dot.ztdns.test signed by rogue-ca
#       client-ca.pem client-ca.key  a CA for client certificates
#       client.pem client.key     client leaf (CN ztdnsd, clientAuth) signed
#                                 by client-ca.  unbound does not ask for
#                                 nor verify client certificates: mutual
#                                 TLS tests need another peer.
#       pin rogue-pin             base64 SHA-256 of the SubjectPublicKeyInfo
#                                 of server.key / rogue.key (RFC 7858 pins,
#                                 kdig +tls-pin=)
#     Keys are new on every call (so are the pins); the names are fixed.
#     Certificates are valid from now (the guest's clock is the host's)
#     for 10 years.
#   dot_cert DIR NAME [CA]    a leaf for NAME signed by DIR/CA.pem (default
#                             ca): DIR/NAME.pem DIR/NAME.key, DIR/NAME.pin
#   dot_zone FILE [ROUNDS]    the zone file of ztdns.test. (below); ROUNDS
#                             (default 1000) names r0..r{ROUNDS-1}
#   dot_start NS ADDR [NAME] [CERT KEY]
#                             unbound in namespace NS (ns_new's name: the
#                             netns is NS-$pid) on ADDR@853 (TLS) and
#                             ADDR@53 (UDP+TCP), authoritative for
#                             ztdns.test.; returns once it answers over TLS.
#                             NAME (default dot.ztdns.test) is the name it
#                             presents: without CERT KEY a leaf for NAME
#                             from the test CA ($DOT_PKI, made on first
#                             use).  Several servers per namespace are fine,
#                             one per ADDR.
#   dot_stop NS [ADDR]        stop NS's servers (or the one on ADDR)
#   dot_dir NS ADDR           that server's directory: unbound.conf,
#                             unbound.log, ztdns.test.zone, cert.pem ...
#   dot_queries NS ADDR [PATTERN]
#                             how many queries it logged (log-queries: one
#                             line per query received, "CLIENT NAME TYPE
#                             IN"), of those matching PATTERN (grep -E)
#   dot_kdig NS ADDR ARGS...  kdig in NS over TLS to ADDR, checking the
#                             certificate against the test CA and DOT_NAME
#                             (+time=5: a handshake in a loaded emulator
#                             can take longer than kdig's default 2 s)
#
# Variables: DOT_TMP (this test's scratch directory, removed at exit),
# DOT_PKI (= $DOT_TMP/pki, the PKI dot_start uses), DOT_NAME
# (dot.ztdns.test), DOT_ZONE (ztdns.test), DOT_TIMEOUT (seconds dot_start
# waits for an answer, default 60).  Set before dot_start, for the
# benchmark (bench/dns.sh): DOT_ZONE_EXTRA, a file of records dot_zone
# appends to the zone (relative to ztdns.test., each with its TTL);
# DOT_LOG_QUERIES=no, no log line per query (dot_queries then counts
# nothing).
#
# The zone ztdns.test. (dot_zone):
#
#   SOA ns.ztdns.test. (TTL 300, minimum 5: NXDOMAIN and NODATA answers
#                      carry the SOA with TTL 5)
#   NS ns; ns, dot        A 203.0.113.53
#   www                   A 198.51.100.10, AAAA 2001:db8::10      TTL 300
#   short                 A 198.51.100.11                         TTL 2
#   c1 -> c2 -> c3 -> www-chain (CNAMEs, TTL 300)
#   www-chain             A 198.51.100.12, AAAA 2001:db8::12
#   many                  40 A 198.51.100.100 .. 198.51.100.139
#                         (~700 bytes: TC over UDP without EDNS)
#   huge                  200 AAAA 2001:db8:1::1 .. 2001:db8:1::c8 (hex)
#                         (~6 KB: TC over UDP even with EDNS 4096)
#   private               A 10.1.2.3          (RFC 1918, anti-rebinding)
#   loop                  A 127.0.0.2         (loopback, anti-rebinding)
#   mixed                 A 198.51.100.20, A 192.168.1.20
#   txt                   TXT "ztdns test zone"
#   *.wild                A 198.51.100.30     (wildcard)
#   rN, N = 0..ROUNDS-1   A 203.0.113.(100 + N % 100), AAAA 2001:db8:2::N
#                         (N in hex; TTL 300).  The A records share
#                         203.0.113.100-199 (10 names each) and stay off
#                         the addresses links use (.1, .2, .53); the AAAA
#                         records are one per name.
#   anything else         NXDOMAIN (SOA TTL 5); names outside the zone:
#                         SERVFAIL (the namespace has no way out).
#
# unbound in the guest: runs as root (username ""), no chroot, no
# daemonizing, its own config (-c) so nothing from /etc/unbound: no root
# key, no remote-control keys, no /run/unbound.pid (the pidfile is in its
# directory).  The guest loads no AppArmor profiles.  Nothing else needed.
# A handshake a client gives up on shows in its log as "error: ssl handshake
# failed crypto error" and "notice: ssl handshake failed CLIENT port N".
# Cost in the emulated guest: dot_start 5-20 s; one kdig process per TLS
# query 0.8-4 s (host load), mostly process start; queries on a kept-open
# connection (kdig +keepopen NAME...) ~30 ms each.
#
# At exit: lib.sh's cleanup kills what runs in the test's namespaces;
# dot.sh's EXIT trap (which replaces lib.sh's and then calls its cleanup)
# stops the servers first, prints their logs' tails when the test failed,
# keeps each log as $ZTDNS_OUT/dot-TEST-NS@ADDR.log and removes DOT_TMP.  A
# test that sets its own EXIT trap must call "_dot_cleanup $?; cleanup".
# shellcheck shell=bash disable=SC2154  # pid: lib.sh

DOT_NAME=dot.ztdns.test
DOT_ZONE=ztdns.test
DOT_TMP=$(mktemp -d "/tmp/ztdns-dot-$pid.XXXXXX")
DOT_PKI=$DOT_TMP/pki
DOT_TIMEOUT=${DOT_TIMEOUT:-60}
DOT_TEST=$(basename "$0" .sh)

# _dot_req ARGS...: openssl req quietly, the key EC P-256, no passphrase.
_dot_req() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
		-days 3650 "$@" 2>/dev/null || fail "openssl req $*"
}

# _dot_ca DIR NAME CN: a self-signed CA, DIR/NAME.pem DIR/NAME.key.
_dot_ca() {
	_dot_req -x509 -keyout "$1/$2.key" -out "$1/$2.pem" -subj "/CN=$3" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
}

# _dot_leaf DIR FILE CA CN EXT...: a leaf signed by DIR/CA, DIR/FILE.pem
# DIR/FILE.key.
_dot_leaf() {
	local dir=$1 file=$2 ca=$3 cn=$4 ext
	shift 4
	local args=()
	for ext; do args+=(-addext "$ext"); done
	_dot_req -x509 -CA "$dir/$ca.pem" -CAkey "$dir/$ca.key" \
		-keyout "$dir/$file.key" -out "$dir/$file.pem" -subj "/CN=$cn" \
		-addext "basicConstraints=critical,CA:FALSE" \
		-addext "keyUsage=critical,digitalSignature" "${args[@]}"
}

# dot_spki KEY: the base64 SHA-256 of KEY's SubjectPublicKeyInfo.
dot_spki() {
	openssl pkey -in "$1" -pubout -outform der | openssl dgst -sha256 -binary | base64
}

dot_cert() {
	local dir=$1 name=$2 ca=${3:-ca}
	_dot_leaf "$dir" "$name" "$ca" "$name" "subjectAltName=DNS:$name" \
		"extendedKeyUsage=serverAuth"
	dot_spki "$dir/$name.key" >"$dir/$name.pin"
}

dot_pki() {
	local dir=$1
	mkdir -p "$dir"
	_dot_ca "$dir" ca "ztdns test CA"
	_dot_leaf "$dir" server ca "$DOT_NAME" "subjectAltName=DNS:$DOT_NAME" \
		"extendedKeyUsage=serverAuth"
	_dot_ca "$dir" rogue-ca "ztdns rogue CA"
	_dot_leaf "$dir" rogue rogue-ca "$DOT_NAME" "subjectAltName=DNS:$DOT_NAME" \
		"extendedKeyUsage=serverAuth"
	_dot_ca "$dir" client-ca "ztdns test client CA"
	_dot_leaf "$dir" client client-ca ztdnsd "extendedKeyUsage=clientAuth"
	dot_spki "$dir/server.key" >"$dir/pin"
	dot_spki "$dir/rogue.key" >"$dir/rogue-pin"
}

dot_zone() {
	local file=$1 rounds=${2:-1000} i
	{
		# Every record has its TTL: unbound's zone reader takes a missing
		# TTL from the record before, not from $TTL.
		cat <<-EOF
			\$ORIGIN $DOT_ZONE.
			\$TTL 300
			@	300	IN	SOA	ns.$DOT_ZONE. hostmaster.$DOT_ZONE. 1 3600 600 86400 5
			@	300	IN	NS	ns
			ns	300	IN	A	203.0.113.53
			dot	300	IN	A	203.0.113.53
			www	300	IN	A	198.51.100.10
			www	300	IN	AAAA	2001:db8::10
			short	2	IN	A	198.51.100.11
			c1	300	IN	CNAME	c2
			c2	300	IN	CNAME	c3
			c3	300	IN	CNAME	www-chain
			www-chain	300	IN	A	198.51.100.12
			www-chain	300	IN	AAAA	2001:db8::12
			private	300	IN	A	10.1.2.3
			loop	300	IN	A	127.0.0.2
			mixed	300	IN	A	198.51.100.20
			mixed	300	IN	A	192.168.1.20
			txt	300	IN	TXT	"ztdns test zone"
			*.wild	300	IN	A	198.51.100.30
		EOF
		for i in $(seq 100 139); do
			printf 'many\t300\tIN\tA\t198.51.100.%d\n' "$i"
		done
		for i in $(seq 1 200); do
			printf 'huge\t300\tIN\tAAAA\t2001:db8:1::%x\n' "$i"
		done
		for ((i = 0; i < rounds; i++)); do
			printf 'r%d\t300\tIN\tA\t203.0.113.%d\n' "$i" $((100 + i % 100))
			printf 'r%d\t300\tIN\tAAAA\t2001:db8:2::%x\n' "$i" "$i"
		done
		[ -z "${DOT_ZONE_EXTRA:-}" ] || cat "$DOT_ZONE_EXTRA"
	} >"$file"
}

dot_dir() { echo "$DOT_TMP/$1@$2"; }

# _dot_conf DIR ADDR CERT KEY: unbound.conf for a server in DIR.
_dot_conf() {
	local dir=$1 addr=$2 cert=$3 key=$4
	cat >"$dir/unbound.conf" <<-EOF
		server:
		  interface: $addr@853
		  interface: $addr@53
		  tls-port: 853
		  tls-service-pem: "$cert"
		  tls-service-key: "$key"
		  port: 53
		  interface-automatic: no
		  do-ip4: yes
		  do-ip6: yes
		  do-udp: yes
		  do-tcp: yes
		  access-control: 0.0.0.0/0 allow
		  access-control: ::/0 allow
		  username: ""
		  chroot: ""
		  directory: "$dir"
		  pidfile: "$dir/unbound.pid"
		  do-daemonize: no
		  use-syslog: no
		  logfile: "$dir/unbound.log"
		  log-time-ascii: yes
		  verbosity: 1
		  log-queries: ${DOT_LOG_QUERIES:-yes}
		  num-threads: 1
		  so-reuseport: no
		  incoming-num-tcp: 200
		  module-config: "iterator"
		  local-zone: "test." nodefault
		  qname-minimisation: no
		remote-control:
		  control-enable: no
		auth-zone:
		  name: "$DOT_ZONE."
		  zonefile: "$dir/$DOT_ZONE.zone"
		  for-downstream: yes
		  for-upstream: yes
		  fallback-enabled: no
	EOF
}

dot_start() {
	local ns=$1 addr=$2 name=${3:-$DOT_NAME} cert=${4:-} key=${5:-} dir got deadline
	dir=$(dot_dir "$ns" "$addr")
	[ ! -e "$dir/unbound.pid" ] || fail "dot_start: a server already runs on $ns $addr"
	[ -f "$DOT_PKI/ca.pem" ] || dot_pki "$DOT_PKI"
	mkdir -p "$dir"
	if [ -z "$cert" ]; then
		if [ "$name" = "$DOT_NAME" ]; then
			cert=$DOT_PKI/server.pem key=$DOT_PKI/server.key
		else
			[ -f "$DOT_PKI/$name.pem" ] || dot_cert "$DOT_PKI" "$name"
			cert=$DOT_PKI/$name.pem key=$DOT_PKI/$name.key
		fi
	fi
	[ -n "$key" ] || fail "dot_start: CERT without KEY"
	cp "$cert" "$dir/cert.pem"
	cp "$key" "$dir/key.pem"
	dot_zone "$dir/$DOT_ZONE.zone"
	_dot_conf "$dir" "$addr" "$dir/cert.pem" "$dir/key.pem"
	unbound-checkconf "$dir/unbound.conf" >/dev/null 2>"$dir/checkconf.err" ||
		fail "dot_start: unbound-checkconf: $(cat "$dir/checkconf.err")"

	pretty "$ns" "unbound on $addr@853 (TLS, $name) and $addr@53"
	ip netns exec "$ns-$pid" unbound -d -c "$dir/unbound.conf" \
		>>"$dir/unbound.out" 2>&1 &
	echo $! >"$dir/unbound.pid"

	# Ready once it answers over TLS (not verified here: CERT may be any).
	# A kdig takes about 1 s in the emulated guest: a deadline, not a count.
	deadline=$((SECONDS + DOT_TIMEOUT))
	while [ "$SECONDS" -lt "$deadline" ]; do
		kill -0 "$(cat "$dir/unbound.pid")" 2>/dev/null || break
		got=$(ip netns exec "$ns-$pid" kdig @"$addr" +tls +short +time=5 \
			+retry=0 "www.$DOT_ZONE" A 2>/dev/null) || got=
		[ "$got" = 198.51.100.10 ] && return 0
		sleep 0.2
	done
	# The EXIT trap shows its log.
	fail "dot_start: unbound in $ns on $addr did not answer over TLS"
}

# _dot_logs DIR N: the last N lines of the server's log and stderr.
_dot_logs() {
	local f
	for f in "$1/unbound.log" "$1/unbound.out"; do
		[ -s "$f" ] || continue
		echo "--- $f (last $2 lines)" >&2
		tail -n "$2" "$f" >&2
	done
}

# _dot_kill DIR: stop the server of DIR and wait for it.
_dot_kill() {
	local dir=$1 p i
	[ -f "$dir/unbound.pid" ] || return 0
	p=$(cat "$dir/unbound.pid")
	rm -f "$dir/unbound.pid"
	kill "$p" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

dot_stop() {
	local ns=$1 addr=${2:-} dir
	if [ -n "$addr" ]; then
		pretty "$ns" "stop unbound on $addr"
		_dot_kill "$(dot_dir "$ns" "$addr")"
		return 0
	fi
	for dir in "$DOT_TMP/$ns"@*/; do
		[ -f "$dir/unbound.pid" ] || continue
		dir=${dir%/}
		pretty "$ns" "stop unbound on ${dir##*@}"
		_dot_kill "$dir"
	done
}

dot_queries() {
	local log
	log=$(dot_dir "$1" "$2")/unbound.log
	grep -E 'info: ([0-9.]+|[0-9a-f]*:[0-9a-f:.]*) [^ ]+ [A-Z0-9]+ IN$' "$log" |
		grep -Ec -- "${3:-}" || true
}

dot_kdig() {
	local ns=$1 addr=$2
	shift 2
	nsx "$ns" kdig @"$addr" +time=5 +tls-ca="$DOT_PKI/ca.pem" \
		+tls-hostname="$DOT_NAME" "$@"
}

# At exit: stop the servers (before lib.sh's cleanup removes their
# namespaces), show their logs when the test failed, remove DOT_TMP.
_dot_cleanup() {
	local rc=$1 dir
	for dir in "$DOT_TMP"/*/; do
		[ -f "$dir/unbound.conf" ] || continue
		dir=${dir%/}
		_dot_kill "$dir"
		[ "$rc" = 0 ] || _dot_logs "$dir" 20
		if [ -d "${ZTDNS_OUT:-}" ]; then
			cat "$dir/unbound.log" "$dir/unbound.out" >"$ZTDNS_OUT/dot-$DOT_TEST-${dir##*/}.log" \
				2>/dev/null || true
		fi
	done
	rm -rf "$DOT_TMP"
}
trap '_dot_cleanup $?; cleanup' EXIT
