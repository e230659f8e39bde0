#!/bin/bash
# The DNS benchmark, inside a plain TCG VM (scripts/bench-dns starts it
# through scripts/vm; never run it on a host).  dnsperf, from a client
# namespace, asks each stub resolver in turn on 127.0.0.1:53; every stub
# forwards over DNS-over-TLS to the same unbound DoT server (tests/vm/dot.sh)
# in a server namespace; and dnsperf -m dot asks that server straight (the
# limit).
#
#   c-PID (client)                              s-PID (server)
#     dnsperf -c BENCH_CLIENTS                    unbound (dot.sh), 1 thread:
#     the stub under test on 127.0.0.1:53         DoT on 203.0.113.53@853,
#     vc 203.0.113.1/24      <---- veth ---->     authoritative for ztdns.test.
#        2001:db8:ff::1/64                        vs 203.0.113.53/24
#     default routes via vs                          2001:db8:ff::53/64
#
# Targets:
#   direct   dnsperf -m dot at the DoT server (dnsperf 2.10 does not verify
#            the server's certificate: it has no option for it)
#   ztdnsd   ztdnsd (tests/vm/ztdnsd.sh's zt_* helpers), ztdns.ko loaded,
#            mode enforce in c: each answer's addresses are in the kernel
#            before the reply leaves
#   unbound  unbound as a forwarder: forward-zone "." with
#            forward-tls-upstream, the test CA as tls-cert-bundle, one
#            thread, module-config "iterator" (no DNSSEC validation)
#   stubby   stubby (getdns), the server's tls_auth_name and the test CA
#            (tls_ca_file), authentication required, round_robin off
#   dnsdist  dnsdist (1.7) with one backend over DoT: newServer{tls=
#            "openssl", subjectName, caStore = the test CA, validated},
#            up by fiat (no health checks: the DoT server answers only its
#            zone), up to 100 queries in flight on a connection
#            (maxInFlight: answers out of order, as the others take
#            them), one TCP worker thread (UDP queries to a DoT backend go
#            through it), idle connections closed after 10 s; a packet
#            cache of BENCH_HOT * 10 entries, at least 4096
#            (newPacketCache's defaults otherwise: maxTTL 86400, minTTL 0,
#            temporaryFailureTTL 60, staleTTL 60 (stale entries are not
#            served unless asked), one shard, deferrable insert lock); no
#            option pads the queries it forwards.  Its other threads: the
#            UDP and TCP listeners, housekeeping
#   kresd    Knot Resolver (5.6), one process: policy.TLS_FORWARD to the
#            server with its hostname and the test CA, no trust anchor
#            (no DNSSEC validation, as unbound's "iterator"), a 64 MiB
#            cache; padding as it comes (net.tls_padding is about the
#            answers it sends over TLS itself)
# All stubs: one thread where they let us choose; ztdnsd, unbound and
# stubby pad queries in 128-byte blocks and close idle connections to the
# server after 10 s; every cache far larger than the hot set.  The module
# is in mode off in c while the peers run.  ztdnsd is the plain build
# (daemon/ztdnsd; the VM tests run the sanitized one), checked (ztdnsd-plain).
#
# Rows:
#   miss     names never asked before in this run ("nN-RANDOM.kK.bench.
#            ztdns.test", A and AAAA in turn): every query goes upstream
#   hit      BENCH_HOT names, each asked once to warm the cache, then over
#            and over (stubby has no cache: it forwards them all)
# The zone answers any name below kK.bench.ztdns.test (a wildcard for each
# of BENCH_BUCKETS buckets, TTL 3600) with A 198.51.100.(1 + K % 254) or
# AAAA 2001:db8:100::(K + 1): at most BENCH_BUCKETS + 254 distinct
# addresses, far below the module's max_entries.
#
# Measurements, per target and row:
#   max      the most queries a second answered NOERROR with under 0.1%
#            lost or failed: a closed-loop probe (BENCH_PROBE_OUTSTANDING
#            outstanding) gives an estimate, a search over offered rates
#            (dnsperf -Q, runs of BENCH_SEARCH_SECS) narrows it, and
#            BENCH_RUNS runs of BENCH_CONFIRM_SECS confirm it (10% lower
#            when the median run loses too much, at most twice)
#   latency  p50 and p99 of each reply's latency (dnsperf -v) at fixed
#            rates, BENCH_RUNS runs each: BENCH_RATES, or else
#            BENCH_RATE_PERCENT of the lowest "max" of the stubs' miss rows
#            (so every target sustains them), measured once all "max" are
#            known
#   syscalls ztdnsd's system calls per answer, outside the timed runs:
#            perf stat counts its raw_syscalls:sys_enter (and each
#            syscalls:sys_enter_* for the breakdown) while dnsperf sends a
#            fixed number of queries, misses (new names) and hits (the hot
#            names, warmed), "single" (-c 1 -q 1: one at a time) and
#            "burst" (-c BENCH_CLIENTS -q BENCH_PROBE_OUTSTANDING); the
#            count includes what ztdnsd does idle while dnsperf starts
#            (its idle calls in 5 s are recorded too), and a new TLS
#            connection when the last one timed out.  The goal's figure
#            leaves out clock_gettime and its kin: on hardware they are
#            vDSO calls, system calls only because this guest's
#            clocksource has no vDSO support (recorded).  strace -c -f
#            when there is no perf (it stops ztdnsd at every call, so
#            bursts batch more than they would)
# The CPU time the stub and the DoT server used during each run
# (/proc/PID/stat) is recorded with it.  ztdnsd's answers are checked to
# reach the kernel: an address blocked before it is resolved passes after,
# and the module's insert counter grows by at least the NOERROR replies
# dnsperf got from ztdnsd.
#
# Environment (scripts/bench-dns sets them):
#   ZTDNS_KO, ZTDNS_OUT       from scripts/bench-dns and scripts/vm
#   BENCH_SMOKE               1: one closed-loop run of BENCH_SMOKE_SECS per
#                             target and row (with latencies), no search
#   BENCH_TARGETS             "direct ztdnsd unbound stubby dnsdist kresd"
#   BENCH_ROWS                "miss hit"
#   BENCH_RUNS                runs per measurement (3)
#   BENCH_CLIENTS             dnsperf -c (4)
#   BENCH_PROBE_SECS, BENCH_SEARCH_SECS, BENCH_SEARCH_STEPS,
#   BENCH_CONFIRM_SECS, BENCH_LAT_SECS, BENCH_SMOKE_SECS
#                             5, 4, 3, 8, 8, 3
#   BENCH_RATES               fixed latency rates (qps); empty: derived
#   BENCH_RATE_PERCENT        "25 75"
#   BENCH_HOT, BENCH_BUCKETS  1000, 4096
#   BENCH_QTIMEOUT            dnsperf -t: a reply later than this is lost (5)
#   BENCH_OUTSTANDING         dnsperf -q at a fixed rate (200).  dnsperf
#                             catches up after a stall (the emulated
#                             guest has many) with a burst of up to this
#                             many queries; more than about 250 overflow
#                             a stub's UDP receive buffer (the default
#                             208 KiB) and are lost for a reason that is
#                             no stub's
#   BENCH_PROBE_OUTSTANDING   dnsperf -q closed loop (100)
#   BENCH_SYS_SINGLE, BENCH_SYS_BURST
#                             queries counted for system calls, one at a
#                             time (200) and in bursts (2000); 0: no count
#   BENCH_SYS_BY_CALL         1: count each system call too, and ztdnsd's
#                             idle calls (1)
#   BENCH_PROFILE             1: then look at ztdnsd saturated (perf), its
#                             system calls (strace -c) and a flood, into
#                             $ZTDNS_OUT/profile/; "only": that alone
#
# Writes $ZTDNS_OUT/dns.tsv, one record a line:
#   meta KEY VALUE...
#   run TARGET ROW PHASE RATE SECS SENT COMPLETED LOST NOERROR RUNTIME QPS
#       P50_MS P99_MS SAMPLES STUB_TICKS SERVER_TICKS WALL CONNECTIONS
#       (ticks: CPU time in 1/100 s, which under emulation also counts
#       time the host took the vCPU away; connections: TCP connections
#       the DoT server accepted during the run)
#   max TARGET ROW RATE PHASE     the confirmed rate, its runs' PHASE
#   rates R...                    the latency rates
#   proc TARGET PHASE RSS_KB      the stub's resident memory before it stops
#   check NAME ok|FAIL DETAIL...
#   sys ROW KIND QUERIES NOERROR CALLS TOOL   ztdnsd's system calls
#   sysname ROW KIND NAME CALLS               the same by system call
# and conf/ (each stub's configuration), dnsperf.log (dnsperf's summaries).
# Exit status 0, or 1 when a target answered nothing, ztdnsd's answers did
# not reach the kernel or a stub did not start.
# shellcheck disable=SC2154  # pid, DOT_*, ZT_*: from the files sourced here

# shellcheck source=tests/vm/lib.sh
. "$(dirname "$0")/../tests/vm/lib.sh"
# shellcheck source=tests/vm/dot.sh
. "$(dirname "$0")/../tests/vm/dot.sh"
# The plain ztdnsd, not the VM tests' sanitized one (ASan and UBSan make
# it several times slower).
ZTDNS_ZTDNSD=plain
# shellcheck source=tests/vm/ztdnsd.sh
. "$(dirname "$0")/../tests/vm/ztdnsd.sh"
# lib.sh stops at the first failing command; a benchmark records it and
# goes on (bad).
set +e

SMOKE=${BENCH_SMOKE:-0}
TARGETS=${BENCH_TARGETS:-direct ztdnsd unbound stubby dnsdist kresd}
ROWS=${BENCH_ROWS:-miss hit}
RUNS=${BENCH_RUNS:-3}
CLIENTS=${BENCH_CLIENTS:-4}
PROBE_SECS=${BENCH_PROBE_SECS:-5}
SEARCH_SECS=${BENCH_SEARCH_SECS:-4}
SEARCH_STEPS=${BENCH_SEARCH_STEPS:-3}
CONFIRM_SECS=${BENCH_CONFIRM_SECS:-8}
LAT_SECS=${BENCH_LAT_SECS:-8}
SMOKE_SECS=${BENCH_SMOKE_SECS:-3}
RATES=${BENCH_RATES:-}
RATE_PERCENT=${BENCH_RATE_PERCENT:-25 75}
HOT=${BENCH_HOT:-1000}
BUCKETS=${BENCH_BUCKETS:-4096}
QTIMEOUT=${BENCH_QTIMEOUT:-5}
OUTSTANDING=${BENCH_OUTSTANDING:-200}
PROBE_OUTSTANDING=${BENCH_PROBE_OUTSTANDING:-100}
PROFILE=${BENCH_PROFILE:-0}
SYS_SINGLE=${BENCH_SYS_SINGLE:-200}
SYS_BURST=${BENCH_SYS_BURST:-2000}
SYS_BY_CALL=${BENCH_SYS_BY_CALL:-1}
SERVER=203.0.113.53
CONF=$ZTDNS_OUT/conf
DPLOG=$ZTDNS_OUT/dnsperf.log
W=$DOT_TMP/bench
NEXT=0			# the next name's number: no name is asked twice
STUB_PID=		# the running stub (unbound, stubby; ztdnsd: ZT_PID)
SERVER_PID=		# the DoT server
ZT_NOERR=0		# NOERROR replies dnsperf got from ztdnsd
declare -A MAXQ=()	# TARGET/ROW -> the confirmed rate's median qps

PART=dns
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$W" "$CONF"
: >"$DPLOG"
cx() { ip netns exec "c-$pid" "$@"; }

# The zone's buckets, appended to dot.sh's zone.
bench_zone() {
	awk -v b="$BUCKETS" 'BEGIN {
		for (k = 0; k < b; k++) {
			printf "*.k%d.bench\t3600\tIN\tA\t198.51.100.%d\n", k, 1 + k % 254
			printf "*.k%d.bench\t3600\tIN\tAAAA\t2001:db8:100::%x\n", k, k + 1
		}
	}'
}

# names FILE COUNT: COUNT names never asked before, A and AAAA in turn.
# Not in a subshell: it advances NEXT.
names() {
	awk -v s="$NEXT" -v n="$2" -v b="$BUCKETS" -v seed="$RANDOM$RANDOM" 'BEGIN {
		srand(seed)
		for (i = s; i < s + n; i++)
			printf "n%d-%06x.k%d.bench.ztdns.test %s\n", i,
				int(rand() * 16777216), int(i / 2) % b, i % 2 ? "AAAA" : "A"
	}' >"$1"
	NEXT=$((NEXT + $2))
}

# hot_names FILE COUNT: the hit row's names.
hot_names() {
	awk -v n="$2" -v b="$BUCKETS" -v seed="$RANDOM$RANDOM" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++)
			printf "h%d-%06x.k%d.bench.ztdns.test %s\n", i,
				int(rand() * 16777216), int(i / 2) % b, i % 2 ? "AAAA" : "A"
	}' >"$1"
}

# Every program started in the guest is read over 9p and costs a good
# fraction of a second under emulation: what runs around each dnsperf is
# kept to a few processes, the rest is bash.

# ticks VAR PID: VAR = the CPU time of a process so far, in clock ticks
# (user + system, all threads); 0 when there is none.
ticks() {
	local f
	if [ -n "${2:-}" ] && read -r -a f 2>/dev/null <"/proc/$2/stat"; then
		printf -v "$1" %d $((f[13] + f[14]))
	else
		printf -v "$1" 0
	fi
}
# opens VAR: VAR = the TCP connections the DoT server's namespace has
# accepted so far (PassiveOpens in its /proc/net/snmp).
opens() {
	local f n=0
	while read -r -a f; do
		[ "${f[0]}" = Tcp: ] || continue
		n=$((n + 1))
		if [ "$n" = 2 ]; then
			printf -v "$1" %d "${f[6]}"
			return
		fi
	done <"/proc/$SERVER_PID/net/snmp"
	printf -v "$1" 0
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# usecs VAR: VAR = now, in microseconds.
usecs() { local t=$EPOCHREALTIME; printf -v "$1" %d $((10#${t/./})); }

# dp TARGET ROW PHASE RATE SECONDS FILE: one dnsperf run in c.  RATE 0: a
# closed loop, BENCH_PROBE_OUTSTANDING queries outstanding.  The miss row
# and the warm and sys-* phases go through FILE once (-n 1); the hit row
# loops over it otherwise.  Phases lat* and smoke take each reply's
# latency (-v).  DP_C, DP_Q and DP_T, when set, replace -c, -q and -t;
# DP_WRAP is a command that runs
# dnsperf (perf record).  Sets SENT,
# NOERR, QPS (NOERROR replies a second), BADPPM (queries lost or answered
# otherwise, per million sent), P50 and P99 (ms, or -); records the run.
dp() {
	local target=$1 row=$2 phase=$3 rate=$4 secs=$5 file=$6 out=$W/dnsperf.out
	local args=(-c "${DP_C:-$CLIENTS}" -l "$secs" -t "${DP_T:-$QTIMEOUT}" -d "$file")
	local st t0 t1 s0 s1 u0 u1 c0 c1
	local completed lost runtime lat=- n=0 wall
	if [ "$target" = direct ]; then
		args+=(-m dot -s "$SERVER" -p 853)
	else
		args+=(-s 127.0.0.1 -p 53)
	fi
	case $row/$phase in miss/* | */warm | */sys-*) args+=(-n 1) ;; esac
	if [ "$rate" = 0 ]; then
		args+=(-q "${DP_Q:-$PROBE_OUTSTANDING}")
	else
		args+=(-Q "$rate" -q "${DP_Q:-$OUTSTANDING}")
	fi
	case $phase in lat* | smoke) args+=(-v) lat=1 ;; esac
	st=$STUB_PID
	[ "$target" = ztdnsd ] && st=$ZT_PID
	[ "$target" = direct ] && st=
	ticks s0 "$st"
	ticks u0 "$SERVER_PID"
	opens c0
	usecs t0
	# shellcheck disable=SC2086  # DP_WRAP: words
	${DP_WRAP:-} ip netns exec "c-$pid" dnsperf "${args[@]}" >"$out" 2>&1
	usecs t1
	ticks s1 "$st"
	ticks u1 "$SERVER_PID"
	opens c1
	# The summary to dnsperf.log, the latencies (ms) to $out.lat, the
	# figures to the shell.
	echo "== $target $row $phase rate $rate: dnsperf ${args[*]}" >>"$DPLOG"
	read -r SENT completed lost NOERR runtime QPS < <(awk -v dplog="$DPLOG" -v lat="$out.lat" '
		$1 == ">" { if ($2 == "NOERROR") print $NF * 1000 >lat; next }
		/^Warning: socket .* not ready$/ { notready++; next }
		/^\[Status\]/ || /^$/ { next }
		{ print >>dplog }
		/Queries sent:/ { sent = $3 }
		/Queries completed:/ { done = $3 }
		/Queries lost:/ { lost = $3 }
		/Response codes:/ { for (i = 3; i < NF; i++) if ($i == "NOERROR") noerr = $(i + 1) + 0 }
		/Run time \(s\):/ { rt = $4 }
		END {
			if (notready) print "(" notready " warnings: socket not ready)" >>dplog
			printf "%d %d %d %d %s %d\n", sent, done, lost, noerr, (rt ? rt : 0), (rt > 0 ? noerr / rt : 0)
		}' "$out")
	BADPPM=$((SENT > 0 ? (SENT - NOERR) * 1000000 / SENT : 1000000))
	P50=- P99=-
	if [ -n "$lat" ]; then
		read -r n P50 P99 < <(sort -n "$out.lat" 2>/dev/null | awk '{ v[NR] = $1 }
			function at(p,  i) { i = int(NR * p); if (i < NR * p) i++; return i < 1 ? 1 : i }
			END { if (NR) printf "%d %.3f %.3f\n", NR, v[at(0.5)], v[at(0.99)]; else print "0 - -" }')
		rm -f "$out.lat"
	fi
	[ "$target" = ztdnsd ] && ZT_NOERR=$((ZT_NOERR + NOERR))
	printf -v wall '%d.%02d' $(((t1 - t0) / 1000000)) $(((t1 - t0) / 10000 % 100))
	rec run "$target" "$row" "$phase" "$rate" "$secs" "$SENT" "$completed" "$lost" \
		"$NOERR" "$runtime" "$QPS" "$P50" "$P99" "$n" $((s1 - s0)) $((u1 - u0)) "$wall" \
		$((c1 - c0))
	log "$target $row $phase rate $rate: sent $SENT noerror $NOERR lost $lost" \
		"qps $QPS bad ${BADPPM}ppm${lat:+ p50 ${P50} ms p99 ${P99} ms}" \
		"cpu stub $((s1 - s0)) server $((u1 - u0)) ticks; $((c1 - c0)) connections to the server"
}

# run_names TARGET ROW PHASE RATE SECONDS: dp with a file of new names
# (miss) or the hot names (hit).
run_names() {
	local file=$W/hot n
	if [ "$2" = miss ]; then
		file=$W/names
		if [ "$4" = 0 ]; then
			n=$((3000 * $5))
		else
			n=$(($4 * $5 * 11 / 10 + 100))
		fi
		names "$file" "$n"
	fi
	dp "$@" "$file"
}

# ok RATE: the last run sustained RATE with under 0.1% lost or failed.
ok() { [ "$BADPPM" -lt 1000 ] && [ $((QPS * 100)) -ge $(($1 * 95)) ]; }

# median V...: the median of integers (the lower middle one).
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# maxqps TARGET ROW: the most qps with under 0.1% loss, confirmed.
maxqps() {
	local t=$1 row=$2 lo=0 hi=0 r i try q qs bads
	run_names "$t" "$row" probe 0 "$PROBE_SECS"
	if [ "$NOERR" = 0 ]; then
		bad "$t $row: no NOERROR answer"
		return
	fi
	r=$((QPS * 9 / 10))
	[ "$r" -ge 1 ] || r=1
	# Two more steps while no rate has failed yet.
	for ((i = 0; i < SEARCH_STEPS || (hi == 0 && i < SEARCH_STEPS + 2); i++)); do
		run_names "$t" "$row" search "$r" "$SEARCH_SECS"
		if ok "$r"; then lo=$r; else hi=$r; fi
		if [ "$hi" = 0 ]; then
			r=$((r * 125 / 100))
		elif [ "$lo" = 0 ]; then
			r=$((r * 7 / 10))
		elif [ $((hi - lo)) -le $((lo / 20)) ]; then
			break
		else
			r=$(((lo + hi) / 2))
		fi
		[ "$r" -ge 1 ] || r=1
	done
	[ "$lo" -gt 0 ] && r=$lo
	for try in 1 2 3; do
		qs=() bads=()
		for ((i = 0; i < RUNS; i++)); do
			run_names "$t" "$row" "confirm$try" "$r" "$CONFIRM_SECS"
			qs+=("$QPS")
			bads+=("$BADPPM")
		done
		[ "$(median "${bads[@]}")" -lt 1000 ] && break
		[ "$try" = 3 ] || r=$((r * 9 / 10))
	done
	q=$(median "${qs[@]}")
	rec max "$t" "$row" "$r" "confirm$try"
	MAXQ[$t/$row]=$q
	log "$t $row: max $q qps (offered $r; runs ${qs[*]}; bad ppm ${bads[*]})"
}

# latency TARGET ROW: BENCH_RUNS runs at each rate.
latency() {
	local t=$1 row=$2 r i
	for r in $RATES; do
		for ((i = 1; i <= RUNS; i++)); do
			run_names "$t" "$row" lat "$r" "$LAT_SECS"
		done
	done
}

# ready WHAT: the stub on 127.0.0.1:53 answers (within 60 s).
ready() {
	local deadline=$((SECONDS + 60)) got
	while [ "$SECONDS" -lt "$deadline" ]; do
		got=$(cx kdig @127.0.0.1 +short +time=5 +retry=0 \
			"ready$RANDOM.k0.bench.ztdns.test" A 2>/dev/null)
		[ "$got" = 198.51.100.1 ] && return 0
		sleep 0.5
	done
	bad "$1 did not answer on 127.0.0.1:53"
	return 1
}

unbound_conf() {
	cat <<-EOF
		# unbound forwarding over TLS (the benchmark's peer)
		server:
		  interface: 127.0.0.1@53
		  interface-automatic: no
		  port: 53
		  access-control: 127.0.0.0/8 allow
		  username: ""
		  chroot: ""
		  directory: "$W"
		  pidfile: "$W/unbound-fwd.pid"
		  do-daemonize: no
		  use-syslog: no
		  logfile: "$W/unbound-fwd.log"
		  verbosity: 1
		  num-threads: 1
		  so-reuseport: no
		  module-config: "iterator"
		  local-zone: "test." nodefault
		  tls-cert-bundle: "$DOT_PKI/ca.pem"
		  msg-cache-size: 16m
		  rrset-cache-size: 32m
		  prefetch: no
		  qname-minimisation: no
		  tcp-reuse-timeout: 10000
		remote-control:
		  control-enable: no
		forward-zone:
		  name: "."
		  forward-addr: $SERVER@853#$DOT_NAME
		  forward-tls-upstream: yes
	EOF
}

stubby_conf() {
	cat <<-EOF
		# stubby, one DoT upstream (the benchmark's peer)
		resolution_type: GETDNS_RESOLUTION_STUB
		dns_transport_list:
		  - GETDNS_TRANSPORT_TLS
		tls_authentication: GETDNS_AUTHENTICATION_REQUIRED
		tls_query_padding_blocksize: 128
		edns_client_subnet_private: 0
		round_robin_upstreams: 0
		idle_timeout: 10000
		appdata_dir: "$W"
		tls_ca_file: "$DOT_PKI/ca.pem"
		listen_addresses:
		  - 127.0.0.1@53
		upstream_recursive_servers:
		  - address_data: $SERVER
		    tls_port: 853
		    tls_auth_name: "$DOT_NAME"
	EOF
}

dnsdist_conf() {
	local cache=$((HOT * 10 > 4096 ? HOT * 10 : 4096))
	cat <<-EOF
		-- dnsdist forwarding over TLS (the benchmark's peer)
		setSecurityPollSuffix("")
		setLocal("127.0.0.1:53")
		setMaxTCPClientThreads(1)
		setTCPDownstreamMaxIdleTime(10)
		newServer({address = "$SERVER:853", tls = "openssl",
		           subjectName = "$DOT_NAME", caStore = "$DOT_PKI/ca.pem",
		           validateCertificates = true, maxInFlight = 100}):setUp()
		getPool(""):setCache(newPacketCache($cache, {}))
	EOF
}

kresd_conf() {
	cat <<-EOF
		-- Knot Resolver forwarding over TLS (the benchmark's peer)
		net.listen('127.0.0.1', 53, { kind = 'dns' })
		trust_anchors.remove('.')
		cache.open(64 * MB, 'lmdb://$W/kresd-cache')
		policy.add(policy.all(policy.TLS_FORWARD({
			{ '$SERVER', hostname = '$DOT_NAME', ca_file = '$DOT_PKI/ca.pem' }
		})))
	EOF
}

# start TARGET: start the stub (nothing for direct); 1 when it failed.
start() {
	local t=$1
	STUB_PID=
	case $t in
	direct) return 0 ;;
	ztdnsd)
		zt_conf "$CONF/ztdnsd.conf" "cache_size = $((HOT * 10 > 4096 ? HOT * 10 : 4096))" \
			"$(zt_server "$SERVER" auth_name="$DOT_NAME" ca_file="$DOT_PKI/ca.pem")"
		# zt_start fails (exits) when ztdnsd does not come up.
		zt_start "$CONF/ztdnsd.conf"
		;;
	unbound)
		unbound_conf >"$CONF/unbound-fwd.conf"
		unbound-checkconf "$CONF/unbound-fwd.conf" >/dev/null ||
			{ bad "unbound-checkconf"; return 1; }
		# Not through cx: $! must be unbound's pid, not a subshell's.
		ip netns exec "c-$pid" unbound -d -c "$CONF/unbound-fwd.conf" \
			>>"$W/unbound-fwd.out" 2>&1 &
		STUB_PID=$!
		;;
	stubby)
		stubby_conf >"$CONF/stubby.yml"
		ip netns exec "c-$pid" stubby -C "$CONF/stubby.yml" >>"$W/stubby.out" 2>&1 &
		STUB_PID=$!
		;;
	dnsdist)
		dnsdist_conf >"$CONF/dnsdist.conf"
		dnsdist --check-config -C "$CONF/dnsdist.conf" >>"$W/dnsdist.out" 2>&1 ||
			{ tail -n 5 "$W/dnsdist.out"; bad "dnsdist --check-config"; return 1; }
		ip netns exec "c-$pid" dnsdist --supervised --disable-syslog \
			-C "$CONF/dnsdist.conf" >>"$W/dnsdist.out" 2>&1 &
		STUB_PID=$!
		;;
	kresd)
		kresd_conf >"$CONF/kresd.conf"
		mkdir -p "$W/kresd"
		ip netns exec "c-$pid" kresd -n -c "$CONF/kresd.conf" "$W/kresd" \
			>>"$W/kresd.out" 2>&1 </dev/null &
		STUB_PID=$!
		;;
	*) bad "unknown target $t"; return 1 ;;
	esac
	ready "$t" && return 0
	for f in "$ZT_LOG" "$W/unbound-fwd.log" "$W/unbound-fwd.out" "$W/stubby.out" \
		"$W/dnsdist.out" "$W/kresd.out"; do
		[ -s "$f" ] && tail -n 20 "$f"
	done
	stop "$t" start
	return 1
}

# stop TARGET PHASE: record its memory and stop it.
stop() {
	local t=$1 p=$STUB_PID
	[ "$t" = ztdnsd ] && p=$ZT_PID
	[ -n "$p" ] || return 0
	rec proc "$t" "$2" "$(rss "$p")"
	if [ "$t" = ztdnsd ]; then
		zt_stop
		rec meta "ztdnsd_stats_$2" "$(grep -E 'queries [0-9]+, cache hits' "$ZT_LOG" |
			tail -n 1 | sed 's/.*queries/queries/')"
		# Off for the peers, and an empty table for the next check.
		cx "$CTL" mode off
		cx "$CTL" allow flush
		return 0
	fi
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	STUB_PID=
}

# kv CMD KEY: KEY's value in "ztdnsctl CMD" run in c (plain output:
# "KEY VALUE" lines).
kv() {
	local k v
	cx "$CTL" "$1" | while read -r k v; do
		[ "$k" = "$2" ] && echo "$v"
	done
}

# probe_is ADDR WANT: a TCP SYN from c to ADDR:80 is WANT (pass, refused).
probe_is() {
	local got
	got=$(cx "$PROBE" tcp "$1" 80 2>&1)
	if [ "$got" = "$2" ]; then
		rec check "probe-$1-$2" ok
	else
		rec check "probe-$1-$2" FAIL "$got"
		bad "probe tcp $1 80 from c: $got, want $2"
	fi
}

# Before ztdnsd has answered a name of bucket BUCKETS - 1, its addresses
# are out of reach; once ztdnsd answered, in reach; and the kernel counted
# an insert for each NOERROR reply dnsperf got (each has one address).
CHECK_K=$((BUCKETS - 1))
CHECK4=198.51.100.$((1 + CHECK_K % 254))
CHECK6=2001:db8:100::$(printf %x $((CHECK_K + 1)))
zt_check_before() {
	local mode
	mode=$(kv status mode)
	[ "$mode" = enforce ] || bad "ztdnsd left the module in mode '$mode'"
	probe_is "$CHECK4" refused
	probe_is "$CHECK6" refused
	INS0=$(kv stats inserts)
	ZT_NOERR=0
}
zt_check_after() {
	local got ins entries mode=$1
	got=$(cx kdig @127.0.0.1 +short +time=5 +retry=0 \
		"check.k$CHECK_K.bench.ztdns.test" AAAA "check.k$CHECK_K.bench.ztdns.test" A)
	got=${got//$'\n'/ }
	[ "$got" = "$CHECK6 $CHECK4" ] ||
		bad "ztdnsd answered '$got' for the check name, want $CHECK6 $CHECK4"
	probe_is "$CHECK4" pass
	probe_is "$CHECK6" pass
	ins=$(($(kv stats inserts) - INS0))
	entries=$(kv status entries)
	if [ "$ins" -ge "$ZT_NOERR" ] && [ "$ZT_NOERR" -gt 0 ]; then
		rec check kernel-inserts ok "$ins inserts for $ZT_NOERR NOERROR replies"
	else
		rec check kernel-inserts FAIL "$ins inserts for $ZT_NOERR NOERROR replies"
		bad "the kernel counted $ins inserts for $ZT_NOERR NOERROR replies of ztdnsd"
	fi
	rec meta "kernel_entries_$mode" "$entries"
	log "ztdnsd: $ins kernel inserts for $ZT_NOERR NOERROR replies; $entries entries"
}

# One target: MODE max (phase A), lat (phase B) or smoke.
bench_target() {
	local t=$1 mode=$2 row
	log "== $t: $mode"
	start "$t" || { rec check "start-$t" FAIL; return; }
	[ "$t" = ztdnsd ] && zt_check_before
	for row in $ROWS; do
		[ "$row" = hit ] && [ "$t" = direct ] && continue
		if [ "$row" = hit ]; then
			# The cache: each hot name once.
			dp "$t" hit warm 0 60 "$W/hot"
		fi
		case $mode in
		max) maxqps "$t" "$row" ;;
		lat) latency "$t" "$row" ;;
		smoke)
			run_names "$t" "$row" smoke 0 "$SMOKE_SECS"
			[ "$NOERR" -gt 0 ] || bad "$t $row: no NOERROR answer"
			;;
		esac
	done
	[ "$t" = ztdnsd ] && zt_check_after "$mode"
	stop "$t" "$mode"
	log "== $t: $mode done"
}

# The latency rates: BENCH_RATE_PERCENT of the lowest max of the stubs'
# miss rows, rounded down to a round number.
pick_rates() {
	local low='' t q p r
	for t in $TARGETS; do
		q=${MAXQ[$t/miss]:-0}
		if [ "$t" != direct ] && [ "$q" -gt 0 ] &&
			{ [ -z "$low" ] || [ "$q" -lt "$low" ]; }; then
			low=$q
		fi
	done
	[ -n "$low" ] || low=${MAXQ[direct/miss]:-100}
	RATES=
	for p in $RATE_PERCENT; do
		r=$((low * p / 100))
		if [ "$r" -ge 200 ]; then r=$((r - r % 50))
		elif [ "$r" -ge 50 ]; then r=$((r - r % 10))
		elif [ "$r" -lt 1 ]; then r=1
		fi
		RATES="$RATES $r"
	done
	RATES=${RATES# }
}

# zt_answers: ztdnsd's count of answers so far (SIGUSR1 logs its counters).
zt_answers() {
	local n
	n=$(grep -c 'queries [0-9]*, cache hits' "$ZT_LOG")
	kill -USR1 "$ZT_PID"
	while [ "$(grep -c 'queries [0-9]*, cache hits' "$ZT_LOG")" = "$n" ]; do
		sleep 0.1
	done
	grep -o 'answers [0-9]*' "$ZT_LOG" | tail -n 1 | cut -d' ' -f2
}

# Where ztdnsd's time goes, into $ZTDNS_OUT/profile/ (needs perf, from
# linux-perf, and strace):
#   perf-*.txt     ztdnsd saturated by a closed loop of new names, the
#                  whole guest sampled by perf (cpu-clock: TCG has no PMU;
#                  perf runs dnsperf, so that the samples cover the run):
#                  by process and library; ztdnsd's own symbols; and, with
#                  kernel stacks (ztdnsd has no frame pointers), the system
#                  call wrappers ztdnsd's samples went through.  perf 6.12
#                  in this guest resolves no kernel symbol of a process in
#                  another mount namespace (ip netns exec makes one):
#                  kallsyms and modules are kept to look addresses up
#   syscalls.txt   ztdnsd's system calls counted by strace -c at 5 queries
#                  a second (under emulation ptrace is so slow that ztdnsd
#                  saturated under strace times its upstream out), with the
#                  answers of the run
#   flood.txt      tests/vm/11's flood (-q 10000 -t 2): the answers dnsperf
#                  counted against the answers ztdnsd sent
profile() {
	local d=$ZTDNS_OUT/profile a0 a1 pp
	mkdir -p "$d"
	log "== profile ztdnsd"
	if ! command -v perf >/dev/null || ! command -v strace >/dev/null; then
		log "no perf (linux-perf) or strace: no profile"
		return
	fi
	sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1
	start ztdnsd || return
	names "$W/names" 40000
	DP_WRAP="perf record -a -g -F 499 -e cpu-clock -o $d/perf.data --" \
		dp ztdnsd miss profile-perf 0 8 "$W/names"
	cp /proc/kallsyms "$d/kallsyms"
	cp /proc/modules "$d/modules"
	perf report -i "$d/perf.data" --stdio --no-children --sort comm,dso -g none \
		--percent-limit 0.3 >"$d/perf-comm-dso.txt" 2>&1
	perf report -i "$d/perf.data" --stdio --no-children --comm ztdnsd \
		--percentage relative --sort dso,sym -g none --percent-limit 0.3 \
		>"$d/perf-ztdnsd-self.txt" 2>&1
	perf report -i "$d/perf.data" --stdio --children --comm ztdnsd \
		--percentage relative --sort sym -g none --percent-limit 1 \
		>"$d/perf-ztdnsd-children.txt" 2>&1
	rm -f "$d/perf.data"
	names "$W/names" 40
	strace -c -f -o "$d/syscalls.txt" -p "$ZT_PID" &
	pp=$!
	sleep 2
	dp ztdnsd miss profile-strace 5 6 "$W/names"
	kill -INT "$pp"
	wait "$pp"
	echo "NOERROR replies in the run: $NOERR" >>"$d/syscalls.txt"
	names "$W/names" 100000
	a0=$(zt_answers)
	DP_Q=10000 DP_T=2 dp ztdnsd miss profile-flood 0 10 "$W/names"
	a1=$(zt_answers)
	{
		echo "dnsperf -q 10000 -t 2 for 10 s: sent $SENT, NOERROR within 2 s $NOERR ($QPS a second)"
		echo "ztdnsd sent $((a1 - a0)) answers meanwhile"
		grep -E 'queries [0-9]+, cache hits' "$ZT_LOG" | tail -n 1
	} >"$d/flood.txt"
	stop ztdnsd profile
	log "profile in $d: $(tr '\n' ' ' <"$d/flood.txt")"
}

want_sys() {
	case " $TARGETS " in *" ztdnsd "*) ;; *) return 1 ;; esac
	[ "$SYS_SINGLE" -gt 0 ] || [ "$SYS_BURST" -gt 0 ]
}

# sys_perf CMD...: CMD, while perf stat counts ztdnsd's system calls into
# $SYS_OUT.
# shellcheck disable=SC2317  # called through DP_WRAP
sys_perf() {
	local by=(-e 'syscalls:sys_enter_*')
	# Each tracepoint perf opens costs it time to start under emulation.
	[ "$SYS_BY_CALL" = 1 ] || by=()
	perf stat -x "," -o "$SYS_OUT" -e raw_syscalls:sys_enter "${by[@]}" \
		-p "$ZT_PID" -- "$@"
}

# perf_calls FILE: the system calls a perf stat -x , output counted.
perf_calls() { awk -F, '$3 == "raw_syscalls:sys_enter" { print $1 }' "$1"; }

# sys_count ROW KIND QUERIES: ztdnsd's system calls while dnsperf sends
# QUERIES queries of ROW (miss: new names; hit: the first of the warmed hot
# names), KIND single (one at a time) or burst; recorded with the answers.
sys_count() {
	local row=$1 kind=$2 n=$3 d=$ZTDNS_OUT/syscalls file=$W/sysnames
	local out=$d/$row-$kind.txt cp calls name c
	mkdir -p "$d"
	if [ "$row" = miss ]; then
		names "$file" "$n"
	else
		file=$W/hot
		[ "$n" -le "$HOT" ] || n=$HOT
		head -n "$n" "$W/hot" >"$W/syshot"
		file=$W/syshot
	fi
	# perf stat counts ztdnsd while its workload, dnsperf, runs (no
	# signal to stop it: one sent before perf has set its handler would
	# be lost).  strace is stopped with SIGTERM once dnsperf is done.
	local wrap=sys_perf
	SYS_OUT=$out
	if [ "$SYS_TOOL" = strace ]; then
		wrap=
		strace -c -f -o "$out" -p "$ZT_PID" 2>/dev/null &
		cp=$!
		sleep 1
	fi
	if [ "$kind" = single ]; then
		DP_C=1 DP_Q=1 DP_WRAP=$wrap dp ztdnsd "$row" "sys-$kind" 0 600 "$file"
	else
		DP_Q=$PROBE_OUTSTANDING DP_WRAP=$wrap \
			dp ztdnsd "$row" "sys-$kind" 0 600 "$file"
	fi
	if [ "$SYS_TOOL" = strace ]; then
		kill -TERM "$cp"
		wait "$cp"
	fi
	# perf: "COUNT,,EVENT,..." lines; strace -c: a table ending in "total".
	if [ "$SYS_TOOL" = perf ]; then
		calls=$(perf_calls "$out")
		awk -F, '$3 ~ /^syscalls:sys_enter_/ && $1 > 0 {
			sub(/^syscalls:sys_enter_/, "", $3); print $3, $1 }' "$out"
	else
		calls=$(awk '$NF == "total" { print $4 }' "$out")
		awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF, $4 }' "$out"
	fi >"$out.names"
	while read -r name c; do
		rec sysname "$row" "$kind" "$name" "$c"
	done <"$out.names"
	[ -n "$calls" ] || { bad "no system call count for $row $kind (see $out)"; calls=0; }
	rec sys "$row" "$kind" "$SENT" "$NOERR" "$calls" "$SYS_TOOL"
	log "ztdnsd $row $kind: $calls system calls for $NOERR answers ($SENT queries, $SYS_TOOL)"
	[ "$NOERR" -gt 0 ] || bad "ztdnsd $row $kind: no NOERROR answer"
}

# syscalls: ztdnsd's system calls per answer, misses and hits, single and
# in bursts; outside the timed runs.
syscalls() {
	log "== ztdnsd: system calls"
	SYS_TOOL=strace
	command -v perf >/dev/null && SYS_TOOL=perf
	start ztdnsd || { rec check start-ztdnsd-syscalls FAIL; return; }
	dp ztdnsd hit warm 0 60 "$W/hot"
	# ztdnsd idle, for the calls the counts include around the queries.
	SYS_OUT=$ZTDNS_OUT/syscalls/idle.txt
	mkdir -p "$ZTDNS_OUT/syscalls"
	if [ "$SYS_TOOL" = perf ] && [ "$SYS_BY_CALL" = 1 ]; then
		sys_perf sleep 5
		rec meta ztdnsd_idle_calls_5s "$(perf_calls "$SYS_OUT")"
	fi
	local row
	for row in miss hit; do
		[ "$SYS_SINGLE" = 0 ] || sys_count "$row" single "$SYS_SINGLE"
		[ "$SYS_BURST" = 0 ] || sys_count "$row" burst "$SYS_BURST"
	done
	stop ztdnsd syscalls
	log "== ztdnsd: system calls done"
}

rec meta kernel "$(uname -r)"
rec meta cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
rec meta cpus "$(nproc)"
rec meta mem_kb "$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
rec meta unbound "$(unbound -V | sed -n 's/^Version //p')"
rec meta stubby "$(stubby -V 2>&1 | head -n 1)"
rec meta getdns "$(dpkg-query -W -f '${Version}' libgetdns10 2>/dev/null)"
rec meta dnsperf "$(dnsperf -h 2>&1 | sed -n 's/^Version //p')"
rec meta dnsdist "$(dnsdist --version 2>&1 | head -n 1)"
rec meta kresd "$(kresd --version 2>&1 | head -n 1)"
rec meta ztdnsd "$("$ZTD" -V)"
rec meta clocksource "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
# The build measured: not the sanitized one.
if grep -qa __asan_init "$ZTD"; then
	rec check ztdnsd-plain FAIL "$ZTD"
	bad "$ZTD is built with AddressSanitizer"
else
	rec check ztdnsd-plain ok "$ZTD"
fi
log "on $(uname -r), $(nproc) CPU; targets $TARGETS; rows $ROWS; smoke $SMOKE"

head -c 1 /dev/random >/dev/null
load_module max_entries=1048576
ns_new c
ns_new s
ip link add vc netns "c-$pid" type veth peer name vs netns "s-$pid"
ip -n "c-$pid" addr add 203.0.113.1/24 dev vc
ip -n "c-$pid" addr add 2001:db8:ff::1/64 dev vc nodad
ip -n "s-$pid" addr add "$SERVER/24" dev vs
ip -n "s-$pid" addr add 2001:db8:ff::53/64 dev vs nodad
ip -n "c-$pid" link set vc up
ip -n "s-$pid" link set vs up
ip -n "c-$pid" route add default via "$SERVER"
ip -n "c-$pid" -6 route add default via 2001:db8:ff::53
bench_zone >"$W/bench.zone"
# Only the test CA and the server's certificate (dot_start makes the whole
# test PKI when there is no CA yet: six more openssl runs).
mkdir -p "$DOT_PKI"
_dot_ca "$DOT_PKI" ca "ztdns test CA"
_dot_leaf "$DOT_PKI" server ca "$DOT_NAME" "subjectAltName=DNS:$DOT_NAME" \
	"extendedKeyUsage=serverAuth"
DOT_ZONE_EXTRA=$W/bench.zone DOT_LOG_QUERIES=no dot_start s "$SERVER"
SERVER_PID=$(cat "$(dot_dir s "$SERVER")/unbound.pid")
cp "$(dot_dir s "$SERVER")/unbound.conf" "$CONF/dot-server.conf"
hot_names "$W/hot" "$HOT"
log "DoT server up: $(wc -l <"$W/bench.zone") bench records; $HOT hot names"

if [ "$PROFILE" = only ]; then
	profile
elif [ "$SMOKE" = 1 ]; then
	for t in $TARGETS; do
		bench_target "$t" smoke
	done
	want_sys && syscalls
else
	for t in $TARGETS; do
		bench_target "$t" max
	done
	[ -n "$RATES" ] || pick_rates
	rec rates "$RATES"
	log "latency rates: $RATES qps"
	for t in $TARGETS; do
		bench_target "$t" lat
	done
	want_sys && syscalls
	[ "$PROFILE" = 1 ] && profile
fi
rec meta names_asked "$NEXT"
log "done: $NEXT names asked; status $status"
exit $status
