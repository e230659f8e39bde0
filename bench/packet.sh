#!/bin/bash
# The packet-path benchmark, inside the icount VM (scripts/bench-packet
# starts it through scripts/vm -i; never run it on a host).  For each size N
# and each configuration, a fresh network namespace with a dummy device
# takes the sender's UDP packets (bench/sender) to N allow-listed addresses,
# IPv4 and IPv6, and the sender reports packets per guest second.
#
# Configurations:
#   none          no hook at all: ztdns not loaded, no rules
#   ztdns         ztdns.ko, mode enforce, the N addresses loaded with
#                 "ztdnsctl allow load"
#   ztdns-off     ztdns.ko loaded, hooks registered, mode off (no entries):
#                 the cost of the hook itself
#   nft-hash      nftables: an output chain, policy drop, "ip daddr @allow
#                 accept", the N addresses in a set without flags (hash)
#   nft-sized     the same set with a declared "size N": nft then gets the
#                 kernel's fixed-size hash (nft_set_hash.c, "nft_hash",
#                 nft_hash_lookup_fast for IPv4 keys, nft_hash_lookup for
#                 IPv6) instead of the resizable rhashtable ("nft_rhash")
#   nft-timeout   the same set with "flags timeout" and a default element
#                 timeout of 7 days (no element expires during the run), as
#                 DNS-learned entries would be kept (dnsmasq's nftset):
#                 the rhashtable, each lookup checking the element's expiry
#   nft-interval  the same with "flags interval" (rbtree)
#   ipt-nft       ipset hash:net with the N addresses, iptables-nft (Debian's
#                 iptables): OUTPUT policy DROP, "-m set --match-set allow
#                 dst -j ACCEPT"
#   ipt-legacy    the same set and rule with iptables-legacy (x_tables)
#
# Which backend an nftables set got is not shown by nft (not even by
# "nft --debug=netlink", which prints what nft asks for: flags, size); the
# kernel picks it.  So before the runs of each nft configuration a few
# packets go through with a kprobe on the lookup function of every
# backend, and the run fails unless the expected one (above) was the one
# called ("backend" records).
#
# Each configuration is measured with hits (sendmmsg to addresses of the
# list; every packet must pass) and misses (one sendto a packet to
# addresses not in the list; every packet must fail with EPERM; under
# "none" they pass, the reference for sendto).  Conntrack stays out: no rule
# has a ct expression or -m state, and the run checks that nf_conntrack was
# never loaded.
#
# Environment:
#   ZTDNS_KO, ZTDNS_OUT      from scripts/bench-packet and scripts/vm
#   BENCH_DATA               the address files bench-packet wrote:
#                            v{4,6}-N.entries ("ADDR TTL"), .dests (hits),
#                            .miss, .ipset, .nft-{hash,sized,timeout,interval}
#                            (the ruleset) with .nft-hash.1... (the elements)
#   BENCH_SIZES              "10 10000 1000000"
#   BENCH_FAMS               "4 6"
#   BENCH_CONFIGS            "none ztdns ztdns-off nft-hash nft-sized
#                            nft-timeout nft-interval ipt-nft ipt-legacy"
#   BENCH_RUNS               runs per measurement (5)
#   BENCH_PACKETS            packets per hit run (100000)
#   BENCH_MISS_PACKETS       packets per miss run (20000)
#
# Writes $ZTDNS_OUT/packet.tsv, one record a line:
#   meta KEY VALUE...
#   load CONFIG FAM N ENTRIES        (loadfail when the load failed)
#   backend CONFIG FAM N FUNCTION... the set lookup functions the packets
#                                    went through (nft configurations)
#   run CONFIG FAM N MODE RUN SENT EPERM ERRORS NS PPS
# Exit status 0, or 1 when a sender failed, a hit was refused, a miss
# passed where it must not, or conntrack was loaded.
set -uo pipefail

[ "${ZTDNS_KVER:-}" ] || { echo "run me through scripts/bench-packet, in the VM" >&2; exit 1; }
: "${ZTDNS_KO:?}" "${ZTDNS_OUT:?}" "${BENCH_DATA:?}"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CTL=$TOP/daemon/ztdnsctl
SENDER=${BENCH_SENDER:-$TOP/build/bench/sender}
SIZES=${BENCH_SIZES:-10 10000 1000000}
FAMS=${BENCH_FAMS:-4 6}
CONFIGS=${BENCH_CONFIGS:-none ztdns ztdns-off nft-hash nft-sized nft-timeout nft-interval ipt-nft ipt-legacy}
RUNS=${BENCH_RUNS:-5}
PACKETS=${BENCH_PACKETS:-100000}
MISS_PACKETS=${BENCH_MISS_PACKETS:-20000}
NS=bench
PART=packet
# shellcheck source=bench/lib.sh
. "$TOP/bench/lib.sh"

nsx() { ip netns exec "$NS" "$@"; }

# A namespace with lo and dummy0 up: 192.0.2.1/24 and 2001:db8::1/64 on
# dummy0, and the benchmark's ranges routed through a gateway there
# (10.0.0.0/8, 2001:db8:100::/48), so that a destination needs no
# neighbour entry of its own (dummy0 has no ARP, the gateway's entry is
# the only one).
ns_up() {
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" link add dummy0 type dummy
	ip -n "$NS" addr add 192.0.2.1/24 dev dummy0
	ip -n "$NS" addr add 2001:db8::1/64 dev dummy0 nodad
	ip -n "$NS" link set dummy0 up
	ip -n "$NS" route add 10.0.0.0/8 via 192.0.2.2 dev dummy0
	ip -n "$NS" -6 route add 2001:db8:100::/48 via 2001:db8::2 dev dummy0
}

ns_down() {
	ip netns del "$NS" 2>/dev/null
	# Namespaces are torn down asynchronously; the next one reuses the
	# name at once, which is fine, but rmmod has to wait (see unload).
	return 0
}

# Let deferred kernel work finish before a measurement (a hash table's
# resize after a load, RCU callbacks): on one vCPU it would run inside the
# sender's time.  Cheap under icount with sleep=off: an idle vCPU's clock
# leaps to the next timer.  Periodic work (ztdns's reaper walks every entry
# every 5 s) still falls into some runs; the median of BENCH_RUNS runs
# leaves it out and min/max show it.
settle() { sleep 6; }

# measure CONFIG FAM N: the hit runs and the miss runs.
measure() {
	local cfg=$1 fam=$2 n=$3 d=$BENCH_DATA/v$2-$3 r out sent eperm errors ns pps
	settle
	for r in $(seq "$RUNS"); do
		if ! out=$(nsx "$SENDER" -n "$PACKETS" "$d.dests"); then
			bad "$cfg v$fam $n: sender failed: $out"
		fi
		IFS=' =' read -r _ sent _ eperm _ errors _ ns _ pps <<<"$out"
		rec run "$cfg" "$fam" "$n" hit "$r" "$sent" "$eperm" "$errors" "$ns" "$pps"
		log "$cfg v$fam N=$n hit run $r: $out"
		[ "${eperm:-1}" = 0 ] || bad "$cfg v$fam $n: $eperm hits refused"
	done
	for r in $(seq "$RUNS"); do
		if ! out=$(nsx "$SENDER" -m -n "$MISS_PACKETS" "$d.miss"); then
			bad "$cfg v$fam $n: sender -m failed: $out"
		fi
		IFS=' =' read -r _ sent _ eperm _ errors _ ns _ pps <<<"$out"
		rec run "$cfg" "$fam" "$n" miss "$r" "$sent" "$eperm" "$errors" "$ns" "$pps"
		log "$cfg v$fam N=$n miss run $r: $out"
		if [ "$cfg" = none ] || [ "$cfg" = ztdns-off ]; then
			[ "${eperm:-1}" = 0 ] || bad "none v$fam $n: $eperm refused"
		else
			[ "${sent:-1}" = 0 ] || bad "$cfg v$fam $n: $sent misses passed"
		fi
	done
}

# timed CONFIG FAM N ENTRIES CMD...: run a load step.  Its time is taken on
# the host, from the timestamps of the "load start" and "load done" lines:
# guest time is no measure of it, since the clock of an icount guest with
# sleep=off leaps ahead whenever the vCPU idles (waiting for 9p, a timer).
timed() {
	local cfg=$1 fam=$2 n=$3 cnt=$4
	shift 4
	log "load start $cfg v$fam N=$n ($*)"
	if ! "$@"; then
		bad "$cfg v$fam $n: '$*' failed"
		rec loadfail "$cfg" "$fam" "$n" "$cnt"
		return 1
	fi
	log "load done $cfg v$fam N=$n"
	rec load "$cfg" "$fam" "$n" "$cnt"
}

entries() { wc -l <"$BENCH_DATA/v$1-$2.entries"; }

run_none() {
	local n=$1 fam
	ns_up
	for fam in $FAMS; do
		measure none "$fam" "$n"
	done
	ns_down
}

# ztdns-off: the module loaded, its hooks registered, mode off (the hook
# returns at once): what the hook costs before any decision.
run_ztdns_off() {
	local n=$1 fam
	insmod "$ZTDNS_KO" mode=off netns_mode=off || { bad "insmod"; return; }
	ns_up
	for fam in $FAMS; do
		measure ztdns-off "$fam" "$n"
	done
	ns_down
	unload_ztdns
}

run_ztdns() {
	local n=$1 fam
	# Room for N addresses of each family: max_entries counts both.
	insmod "$ZTDNS_KO" mode=off netns_mode=enforce \
		max_entries=$((2 * n > 1048576 ? 2 * n : 1048576)) ||
		{ bad "insmod"; return; }
	ns_up
	nsx "$CTL" mode enforce
	local ok=
	for fam in $FAMS; do
		timed ztdns "$fam" "$n" "$(entries "$fam" "$n")" \
			nsx "$CTL" allow load "$BENCH_DATA/v$fam-$n.entries" &&
			ok="$ok $fam"
	done
	log "ztdns: $(nsx "$CTL" status | tr '\n' ' ')"
	for fam in $ok; do
		measure ztdns "$fam" "$n"
	done
	nsx "$CTL" mode off
	ns_down
	unload_ztdns
}

# nft_load FILE: the ruleset FILE, then its elements FILE.1, FILE.2, ...,
# one transaction each.
# shellcheck disable=SC2317  # called through timed
nft_load() {
	local i=1
	nsx nft -f "$1" || return 1
	while [ -f "$1.$i" ]; do
		log "  nft -f $(basename "$1").$i"
		nsx nft -f "$1.$i" || return 1
		i=$((i + 1))
	done
}

# backend CONFIG FAM N: the set lookup functions that a few hits to the
# set go through (a kprobe on each backend's lookup, counted in
# kprobe_profile), recorded; bad unless they are the backend that CONFIG
# must get.  (The function tracer recorded nothing in this guest.)
LOOKUPS="nft_hash_lookup_fast nft_hash_lookup nft_rhash_lookup nft_rbtree_lookup
nft_bitmap_lookup nft_pipapo_lookup nft_pipapo_avx2_lookup"
backend() {
	local cfg=$1 fam=$2 n=$3 t=/sys/kernel/debug/tracing f hits got="" want
	[ -d "$t" ] || t=/sys/kernel/tracing
	[ -f "$t/kprobe_events" ] || mount -t tracefs nodev "$t" 2>/dev/null
	for f in $LOOKUPS; do
		echo "p:ztbench/$f $f" >>"$t/kprobe_events" 2>/dev/null
	done
	echo 1 >"$t/events/ztbench/enable"
	nsx "$SENDER" -n 64 "$BENCH_DATA/v$fam-$n.dests" >/dev/null
	echo 0 >"$t/events/ztbench/enable"
	while read -r f hits _; do
		[ "$hits" -gt 0 ] && got="$got $f"
	done <"$t/kprobe_profile"
	got=${got# }
	for f in $LOOKUPS; do
		echo "-:ztbench/$f" >>"$t/kprobe_events" 2>/dev/null
	done
	: >"$t/trace"
	case $cfg/$fam in
	nft-sized/4) want=nft_hash_lookup_fast ;;
	nft-sized/6) want=nft_hash_lookup ;;
	nft-hash/* | nft-timeout/*) want=nft_rhash_lookup ;;
	nft-interval/*) want=nft_rbtree_lookup ;;
	esac
	rec backend "$cfg" "$fam" "$n" "${got:--}"
	log "$cfg v$fam N=$n: set lookups through ${got:-none of $LOOKUPS}"
	[ "$got" = "$want" ] || bad "$cfg v$fam $n: set lookups through '$got', want $want"
}

# One family at a time, in a namespace of its own: with the IPv4 interval
# set of 1M loaded, the IPv6 one did not fit in the guest.  The ruleset
# file says how many elements its set gets (fewer than N when capped).
run_nft() {
	local kind=$1 n=$2 fam f
	for fam in $FAMS; do
		f=$BENCH_DATA/v$fam-$n.nft-$kind
		ns_up
		if timed "nft-$kind" "$fam" "$n" \
			"$(sed -n 's/^# elements: //p' "$f")" nft_load "$f"; then
			backend "nft-$kind" "$fam" "$n"
			measure "nft-$kind" "$fam" "$n"
		fi
		ns_down
	done
}

run_ipt() {
	local n=$1 fam v cfg ipt ok=
	ns_up
	for fam in $FAMS; do
		timed ipset "$fam" "$n" "$(entries "$fam" "$n")" \
			nsx ipset restore -f "$BENCH_DATA/v$fam-$n.ipset" &&
			ok="$ok $fam"
	done
	for v in nft legacy; do
		cfg=ipt-$v
		case " $CONFIGS " in *" $cfg "*) ;; *) continue ;; esac
		# iptables-legacy loads its modules with the modprobe the kernel
		# names, which lives outside the guest's chroot: load them here.
		[ "$v" = nft ] || modprobe -a ip_tables ip6_tables iptable_filter \
			ip6table_filter xt_set || bad "modprobe for $cfg"
		for fam in $FAMS; do
			ipt=iptables-$v
			[ "$fam" = 6 ] && ipt=ip6tables-$v
			nsx "$ipt" -P OUTPUT DROP
			nsx "$ipt" -A OUTPUT -m set --match-set "allow$fam" dst -j ACCEPT
		done
		for fam in $ok; do
			measure "$cfg" "$fam" "$n"
		done
		for fam in $FAMS; do
			ipt=iptables-$v
			[ "$fam" = 6 ] && ipt=ip6tables-$v
			nsx "$ipt" -P OUTPUT ACCEPT
			nsx "$ipt" -F OUTPUT
		done
		[ "$v" = nft ] && nsx nft flush ruleset
	done
	ns_down
}

want() { case " $CONFIGS " in *" $1 "*) return 0 ;; esac; return 1; }

rec meta kernel "$(uname -r)"
rec meta cpu "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
rec meta cpus "$(nproc)"
rec meta mem_kb "$(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
log "on $(uname -r), $(nproc) CPU; sizes $SIZES; IPv$FAMS; configs $CONFIGS"

# The kernel's random generator must be ready first: until it is, the send
# path is slower (by about 1,800 instructions a packet to 10,000 IPv4
# destinations, measured here), and under icount it becomes ready only
# minutes into the run.  A blocking read has the kernel make the entropy.
head -c 1 /dev/random >/dev/null
log "random: $(dmesg | grep -m 1 'crng init done' || echo 'crng ready')"

# Quiet guest: the kernel's own periodic work is all that runs besides.
for n in $SIZES; do
	for cfg in $CONFIGS; do
		log "== N=$n $cfg (modules: $(awk '{ print $1 }' /proc/modules | sort | tr '\n' ' '))"
		case $cfg in
		none) run_none "$n" ;;
		ztdns) run_ztdns "$n" ;;
		ztdns-off) run_ztdns_off "$n" ;;
		nft-hash) run_nft hash "$n" ;;
		nft-sized) run_nft sized "$n" ;;
		nft-timeout) run_nft timeout "$n" ;;
		nft-interval) run_nft interval "$n" ;;
		ipt-nft) run_ipt "$n" ;;
		ipt-legacy) want ipt-nft || run_ipt "$n" ;;
		*) bad "unknown configuration $cfg" ;;
		esac
		log "== N=$n $cfg done"
	done
done

if lsmod | grep -q '^nf_conntrack' || [ -e /proc/net/nf_conntrack ]; then
	bad "nf_conntrack was loaded"
	rec meta conntrack loaded
else
	rec meta conntrack absent
fi
rec meta nft "$(nft --version)"
rec meta ipset "$(ipset --version | head -n 1)"
rec meta iptables "$(iptables-legacy --version)"
log "modules: $(lsmod | awk 'NR > 1 { print $1 }' | sort | tr '\n' ' ')"
exit $status
