#!/bin/bash
# The insert benchmark, inside a plain TCG VM (scripts/bench-insert starts
# it through scripts/vm; never run it on a host).  For each size N and
# family, each configuration loads the N addresses of the list into a fresh
# network namespace, timed by bench/timeit on the guest's CLOCK_MONOTONIC
# (without icount it follows the host's wall clock), and the kernel memory
# the loaded table holds is read from /proc/meminfo.
#
# Configurations:
#   ztdns         ztdns.ko (max_entries above N), mode enforce in the
#                 namespace, "ztdnsctl allow load FILE": netlink batches of
#                 up to 64 KiB, each acked before the next
#   nft-hash      "nft -f FILE": a table, a set of type ipv4_addr or
#                 ipv6_addr without flags (the kernel's hash backend) and
#                 the N elements, one transaction
#   nft-interval  the same with "flags interval" (rbtree); when it runs out
#                 of memory the load is recorded as failed
#   ipset         "ipset restore -f FILE": a hash:net set with hashsize and
#                 maxelem sized for N, then N "add" lines
#
# The mode does not matter for inserts; enforce is what ztdnsd runs in.
# After each ztdns load, bench/insert times BENCH_LAT_INSERTS single inserts
# (one ADD_ENTRIES of one address and its ack, as ztdnsd sends them) into
# the table of N.  State is clean between runs: each runs in a namespace of
# its own, deleted afterwards with its ztdns table, nft ruleset or ipset,
# and the next load waits until the kernel's memory has settled; every
# load reads its file from the guest's tmpfs, not over 9p.
#
# Environment:
#   ZTDNS_KO, ZTDNS_OUT      from scripts/bench-insert and scripts/vm
#   BENCH_DATA               the lists bench-insert wrote: v{4,6}-N.entries
#                            ("ADDR TTL"), .nft-hash, .nft-interval, .ipset
#   BENCH_INSERT             the single-insert timer (bench/insert.c)
#   BENCH_TIMEIT             the load timer (bench/timeit.c)
#   BENCH_SIZES              "100000 1000000"
#   BENCH_FAMS               "4 6"
#   BENCH_CONFIGS            "ztdns nft-hash nft-interval ipset"
#   BENCH_RUNS               runs per measurement (3); the configurations
#                            take turns, run by run
#   BENCH_SLOW               seconds: a measurement with a run longer than
#                            this is not repeated (300); recorded so
#   BENCH_LAT_INSERTS        single inserts after each ztdns load (10000)
#   BENCH_LOAD_TIMEOUT       seconds a load may run before it is stopped
#                            and recorded as such, with the count it got
#                            to (0: no limit)
#   BENCH_AS_LIMIT           kB of address space a loading program may
#                            take (ulimit -v; default: MemAvailable at the
#                            start less 640 MB), so that one that outgrows
#                            the guest (nft with a 1M interval set) fails
#                            on its own instead of waking the OOM killer
#   BENCH_CHECK_ALL          1: count what every table holds and fail on
#                            any failed load (--smoke); else an nft set is
#                            counted in the first run up to 100,000 only
#                            (listing 1M takes minutes here; nft -f is one
#                            transaction, all or nothing) and a peer's
#                            failed load is a result, not an error
#
# Writes $ZTDNS_OUT/insert.tsv, one record a line:
#   meta KEY VALUE...
#   load CONFIG FAM N RUN ok|fail|timeout SECONDS USER SYS MAXRSS_KB COUNTED
#        SLAB_KB SUNRECLAIM_KB VMALLOC_KB REPORTED_BYTES
#     (COUNTED: entries the table holds, -1 when not counted;
#      REPORTED_BYTES: ipset's "Size in memory", -1 for the others)
#   why CONFIG FAM N RUN TEXT...      (the last line a failed load printed)
#   lat FAM N RUN INSERTS P50_US P99_US MAX_US MEAN_US
#   fewer CONFIG FAM N RUNS REASON...
# Exit status 0, or 1 when a ztdns load failed, a table held another count
# than it was given, or (with BENCH_CHECK_ALL) any load failed.
set -uo pipefail

[ "${ZTDNS_KVER:-}" ] || { echo "run me through scripts/bench-insert, in the VM" >&2; exit 1; }
: "${ZTDNS_KO:?}" "${ZTDNS_OUT:?}" "${BENCH_DATA:?}"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CTL=$TOP/daemon/ztdnsctl
INSERT=${BENCH_INSERT:-$TOP/build/bench/insert-one}
TIMEIT=${BENCH_TIMEIT:-$TOP/build/bench/timeit}
SIZES=${BENCH_SIZES:-100000 1000000}
FAMS=${BENCH_FAMS:-4 6}
CONFIGS=${BENCH_CONFIGS:-ztdns nft-hash nft-interval ipset}
RUNS=${BENCH_RUNS:-3}
SLOW=${BENCH_SLOW:-300}
LAT=${BENCH_LAT_INSERTS:-10000}
CHECK_ALL=${BENCH_CHECK_ALL:-0}
LOAD_TIMEOUT=${BENCH_LOAD_TIMEOUT:-0}
AS_LIMIT=${BENCH_AS_LIMIT:-$(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) - 655360))}
NS=insert
WORK=/tmp/insert
PART=insert
# shellcheck source=bench/lib.sh
. "$TOP/bench/lib.sh"

# nsenter rather than "ip netns exec", which also remounts /sys: half the
# time here.
nsx() { nsenter --net="/run/netns/$NS" "$@"; }

# Deleting the namespace destroys its nft tables, its sets and its ztdns
# table, asynchronously: the settle before the next load waits for that.
ns_up() { ip netns add "$NS"; }
ns_down() { ip netns del "$NS" 2>/dev/null; return 0; }

# Slab, SUnreclaim and VmallocUsed in kB.
mem() {
	awk '/^(Slab|SUnreclaim|VmallocUsed):/ { v[$1] = $2 }
		END { print v["Slab:"], v["SUnreclaim:"], v["VmallocUsed:"] }' /proc/meminfo
}

# Wait for deferred work (a hash table's resize, RCU callbacks, a
# namespace's teardown) until Slab + VmallocUsed holds still for a second:
# within 256 kB, or 30 s at most.  Not for the smoke test's small tables.
settle() {
	local a b i s v
	[ "$CHECK_ALL" = 1 ] && return 0
	sync
	read -r s _ v < <(mem)
	a=$((s + v))
	for i in $(seq 30); do
		sleep 1
		read -r s _ v < <(mem)
		b=$((s + v))
		[ $((b - a)) -lt 256 ] && [ $((a - b)) -lt 256 ] && return 0
		a=$b
	done
	log "memory still moving after ${i}s"
}

# count CONFIG FAM: the entries the table of the namespace holds.
count() {
	case $1 in
	ztdns)
		nsx "$CTL" --json status | sed -n 's/.*"entries":\([0-9]*\).*/\1/p'
		;;
	nft-*)
		# Each element an address (no auto-merge), one token each.
		nsx nft list set "$([ "$2" = 4 ] && echo ip || echo ip6)" bench allow |
			tr -s ' ,{}=\t' '\n' | grep -cE '^[0-9a-f]+[.:]'
		;;
	ipset)
		# The header, kept for its "Size in memory".
		nsx ipset list -t allow | tee "$WORK/list" |
			sed -n 's/^Number of entries: //p'
		;;
	esac
}

# one CONFIG FAM N RUN: one timed load in a fresh namespace; ok, fail or
# timeout in $outcome, the seconds it took in $took.
one() {
	local cfg=$1 fam=$2 n=$3 r=$4 d=$BENCH_DATA/v$2-$3 f cmd before after
	local rc secs user sys rss got=-1 rep=-1 ok=ok s0 u0 v0 s1 u1 v1 lat l1 l2 l3 l4 l5
	took=0 outcome=fail
	case $cfg in
	ztdns)
		f=$WORK/entries
		cp "$d.entries" "$f"
		ns_up	# in enforce from its start (netns_mode)
		cmd=("$CTL" allow load "$f")
		;;
	nft-*)
		f=$WORK/nft
		cp "$d.$cfg" "$f"
		ns_up
		cmd=(nft -f "$f")
		;;
	ipset)
		f=$WORK/ipset
		cp "$d.ipset" "$f"
		ns_up
		cmd=(ipset restore -f "$f")
		;;
	esac
	settle
	before=$(mem)
	log "load start $cfg v$fam N=$n run $r"
	(ulimit -v "$AS_LIMIT" &&
		nsx "$TIMEIT" -t "$LOAD_TIMEOUT" "$WORK/took" "${cmd[@]}") \
		>"$WORK/out" 2>&1
	read -r rc secs user sys rss <"$WORK/took"
	log "load done $cfg v$fam N=$n run $r: exit $rc, ${secs}s (user ${user}s sys ${sys}s, max RSS ${rss} kB)"
	if [ -s "$WORK/out" ]; then
		tail -n 5 "$WORK/out" | sed 's/^/[insert]   /'
		[ "$rc" = 0 ] || rec why "$cfg" "$fam" "$n" "$r" "exit $rc:" \
			"$(tail -n 1 "$WORK/out" | cut -c 1-200)"
	fi
	settle
	after=$(mem)
	read -r s0 u0 v0 <<<"$before"
	read -r s1 u1 v1 <<<"$after"
	if [ "$rc" = 124 ] && [ "$CHECK_ALL" != 1 ]; then
		# Stopped at BENCH_LOAD_TIMEOUT: how far it got.
		ok=timeout
		took=$secs
		[ "${cfg%-*}" = nft ] && got=0 || got=$(count "$cfg" "$fam")
		log "$cfg v$fam N=$n run $r: stopped after ${secs}s, ${got:-?} of $n loaded"
		rec why "$cfg" "$fam" "$n" "$r" "stopped after ${LOAD_TIMEOUT}s" \
			"(BENCH_LOAD_TIMEOUT) with ${got:-?} of $n loaded"
		[ "$cfg" = ztdns ] && bad "ztdns v$fam N=$n run $r: stopped"
	elif [ "$rc" != 0 ]; then
		ok=fail
		if [ "$cfg" = ztdns ] || [ "$CHECK_ALL" = 1 ]; then
			bad "$cfg v$fam N=$n run $r: '${cmd[*]}' exited $rc"
		fi
	else
		took=$secs
		if [ "${cfg%-*}" = nft ] && [ "$CHECK_ALL" != 1 ] &&
			{ [ "$r" != 1 ] || [ "$n" -gt 100000 ]; }; then
			# Listing a set of 1M takes minutes here, and so does
			# "nft get element" (nft reads the whole set first); a
			# transaction is all or nothing, its exit status says.
			log "$cfg v$fam N=$n run $r: not counted (nft -f exited 0)"
		else
			got=$(count "$cfg" "$fam")
			log "$cfg v$fam N=$n run $r: the table holds ${got:-?}"
			[ "$got" = "$n" ] || bad "$cfg v$fam N=$n run $r: holds '$got', not $n"
		fi
	fi
	[ "$cfg" = ipset ] && [ "$got" != -1 ] &&
		rep=$(sed -n 's/^Size in memory: //p' "$WORK/list")
	rec load "$cfg" "$fam" "$n" "$r" "$ok" "$secs" "$user" "$sys" "$rss" \
		"${got:--1}" $((s1 - s0)) $((u1 - u0)) $((v1 - v0)) "${rep:--1}"
	outcome=$ok
	log "$cfg v$fam N=$n run $r: Slab $((s1 - s0)) kB (SUnreclaim $((u1 - u0))), VmallocUsed $((v1 - v0)) kB"
	case $cfg in
	ztdns)
		if [ "$ok" = ok ]; then
			if lat=$(nsx "$INSERT" "-$fam" -n "$LAT"); then
				log "single inserts v$fam into $n: $lat"
				# inserts=N p50_us=X p99_us=X max_us=X mean_us=X
				IFS=' =' read -r _ l1 _ l2 _ l3 _ l4 _ l5 <<<"$lat"
				rec lat "$fam" "$n" "$r" "$l1" "$l2" "$l3" "$l4" "$l5"
				[ "$CHECK_ALL" = 1 ] && [ "$(count ztdns "$fam")" != $((n + LAT + 100)) ] &&
					bad "ztdns v$fam: not $((n + LAT + 100)) entries after the single inserts"
			else
				bad "single inserts v$fam into $n: $lat"
			fi
			if [ "$CHECK_ALL" = 1 ]; then
				got=$(nsx "$CTL" allow list | grep -c ' expires ')
				[ "$got" = $((n + LAT + 100)) ] ||
					bad "ztdns v$fam: allow list shows $got entries"
			fi
		fi
		;;
	esac
	ns_down
	rm -f "$f"
}

rec meta kernel "$(uname -r)"
rec meta cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
rec meta cpus "$(nproc)"
rec meta mem_kb "$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
rec meta as_limit_kb "$AS_LIMIT"
rec meta nft "$(nft --version)"
rec meta ipset "$(ipset --version | head -n 1)"
rec meta ztdnsctl "$("$CTL" --version 2>/dev/null | head -n 1)"
mkdir -p "$WORK"
log "on $(uname -r), $(nproc) CPUs; sizes $SIZES; IPv$FAMS; configs $CONFIGS; $RUNS runs; ulimit -v $AS_LIMIT"

# What starting a program costs here (every exec reads its binary and
# libraries over 9p): timeit around true, the median of three.
ns_up
o=$(for _ in 1 2 3; do
	nsx "$TIMEIT" "$WORK/took" true
	cut -d' ' -f2 "$WORK/took"
done | sort -n | sed -n 2p)
ns_down
rec meta exec_true_seconds "$o"
log "exec of true: ${o}s"

# The modules every configuration needs, loaded now rather than inside the
# first timed load (the kernel's module requests go through the host's
# modprobe).  ztdns.ko stays loaded throughout, its table is the
# namespace's: max_entries (per namespace, both families together) above
# the largest N and the single inserts.
modprobe -a nf_tables ip_set ip_set_hash_net nfnetlink || bad "modprobe"
max=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -n 1)
insmod "$ZTDNS_KO" mode=off netns_mode=enforce \
	max_entries=$((max + LAT + 1000 > 1048576 ? max + LAT + 1000 : 1048576)) ||
	bad "insmod"

for n in $SIZES; do
	for fam in $FAMS; do
		declare -A done_runs=() slow=()
		for r in $(seq "$RUNS"); do
			for cfg in $CONFIGS; do
				[ "${slow[$cfg]:-}" ] && continue
				one "$cfg" "$fam" "$n" "$r"
				done_runs[$cfg]=$r
				# A failed load or a slow one is not repeated.
				if [ "$outcome" != ok ]; then
					slow[$cfg]=$outcome
				elif [ "$r" -lt "$RUNS" ] &&
					awk -v t="$took" -v s="$SLOW" 'BEGIN { exit !(t > s) }'; then
					slow[$cfg]="run $r took ${took}s, over ${SLOW}s: not repeated"
				fi
			done
		done
		for cfg in "${!slow[@]}"; do
			[ "${slow[$cfg]}" = fail ] || [ "${slow[$cfg]}" = timeout ] ||
				rec fewer "$cfg" "$fam" "$n" "${done_runs[$cfg]}" "${slow[$cfg]}"
		done
		unset done_runs slow
	done
done
log "modules: $(lsmod | awk 'NR > 1 { print $1 }' | sort | tr '\n' ' ')"
ns_down
unload_ztdns
exit $status
