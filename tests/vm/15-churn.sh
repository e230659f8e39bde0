#!/bin/bash
# Namespaces and rmmod churned under traffic.  Two workers create
# namespaces (enforcing from birth through netns_mode, made to enforce or
# audit with ztdnsctl; given entries, a subnet and a dummy device), send
# UDP and TCP, IPv4 and IPv6 in them, and destroy them while the traffic
# still flows; meanwhile one loop tries rmmod (and reloads the module when
# it went) and another flips the initial namespace's mode.
#
# Checks: rmmod fails with EBUSY while any namespace enforces, and never
# succeeds while one does: every namespace known to enforce (its mode read
# back) is recorded, and the record removed only once its last process is
# gone, all under one lock that rmmod takes too, so a module that forgot
# its reference would be caught.  In an enforcing namespace a packet to an
# unlisted address is always refused, however the churn goes; a listed one
# always leaves.  No kernel report, no leak (the harness: kmemleak at the
# end of the run).
#
#   w<W>n<I>-PID: worker W's I-th namespace, a dummy device as in ns_dummy
. "$(dirname "$0")/lib.sh"

ROUNDS=${ZTDNS_CHURN_ROUNDS:-2}	# namespaces per worker
state=/tmp/churn-$pid
lock=$state/lock
rec=$state/enforcing		# one file per namespace known to enforce
stop=$state/stop
mkdir -p "$rec"
: >"$state/violations"

violation() { echo "VIOLATION: $*" | tee -a "$state/violations" >&2; }

# The lock rmmod takes: on descriptor 9 of the calling process.
lock_take() { exec 9>"$lock"; flock 9; }
lock_drop() { flock -u 9; exec 9>&-; }

load_module
ensure_loaded() { module_loaded || insmod "$ZTDNS_KO"; }

# One namespace's life: setup (under the lock), spot checks, traffic that
# keeps checking itself, then deletion while the traffic runs.
ns_setup() {
	local ns=$1 how=$2 want
	ensure_loaded
	[ "$how" = birth ] && echo enforce >"$PARAMS/netns_mode"
	ip netns add "$ns-$pid"
	[ "$how" = birth ] && echo off >"$PARAMS/netns_mode"
	ip -n "$ns-$pid" link set lo up
	dummy_up "$ns-$pid"
	case $how in
	enforce | audit) ctl "$ns" mode "$how" ;;
	esac
	ctl "$ns" set max_ttl 3600
	ctl "$ns" allow add 203.0.113.7 ttl 3600
	ctl "$ns" allow add 2001:db8::7 ttl 3600
	ctl "$ns" subnet add 198.51.100.0/24
	want=$([ "$how" = audit ] && echo audit || echo enforce)
	eq "$want" "$(ctl "$ns" --json status | jget mode)" "mode of $ns"
	if [ "$want" = enforce ]; then
		touch "$rec/$ns"
	fi
}

# The traffic of a namespace, run inside it until killed: each round sends
# to listed and unlisted addresses, UDP and TCP, IPv4 and IPv6, and notes
# any verdict other than the one its mode gives; rounds are counted.
TRAFFIC='
probe=$1 mode=$2 out=$3 n=0
ping -q -i 0.02 203.0.113.7 >/dev/null 2>&1 &
p1=$!
ping -q -i 0.02 2001:db8::7 >/dev/null 2>&1 &
p2=$!
trap "kill \$p1 \$p2 2>/dev/null; wait; exit 0" TERM
while :; do
	for d in "udp 203.0.113.7 53 pass" "tcp 2001:db8::7 443 pass" \
		"udp 198.51.100.9 53 pass" "tcp 203.0.113.66 443 block" \
		"udp 2001:db8::66 53 block" "tcp 203.0.113.66 80 block" \
		"udp 198.51.101.9 53 block"; do
		set -- $d
		got=$("$probe" "$1" "$2" "$3" 2>&1)
		[ "$mode" = enforce ] || { [ "$got" = pass ] || echo "$mode: $1 $2 $3: $got" >>"$out"; continue; }
		case $4:$got in
		pass:pass | block:blocked | block:refused) ;;
		*) echo "enforce: $1 $2 $3: $got, want $4" >>"$out" ;;
		esac
	done
	n=$((n + 1))
	echo "$n" >"$out.rounds"
done'

ns_life() {
	local w=$1 i=$2 ns=w$1n$2 how t out
	how=$(case $(((w + i) % 3)) in 0) echo birth ;; 1) echo enforce ;; *) echo audit ;; esac)
	pretty "$ns" "created ($how)"
	lock_take
	ns_setup "$ns" "$how"
	lock_drop
	out=$state/$ns.traffic
	: >"$out"
	ip netns exec "$ns-$pid" bash -c "$TRAFFIC" _ "$PROBE" \
		"$([ "$how" = audit ] && echo audit || echo enforce)" "$out" &
	t=$!
	# Two rounds, then the namespace goes while its traffic flows.
	while [ "$(cat "$out.rounds" 2>/dev/null || echo 0)" -lt 2 ]; do
		kill -0 "$t" || fail "$ns: its traffic stopped"
		sleep 0.2
	done
	lock_take
	ip netns del "$ns-$pid"
	kill "$t"
	wait "$t" || true
	rm -f "$rec/$ns"
	lock_drop
	if [ -s "$out" ]; then
		violation "$ns ($how): $(head -n 3 "$out")"
	fi
	pretty "$ns" "deleted after $(cat "$out.rounds") rounds"
}

worker() {
	local i
	for i in $(seq "$ROUNDS"); do
		ns_life "$1" "$i" || return 1
	done
}

# rmmod until the workers are done: it must fail with "in use" while a
# namespace is recorded as enforcing, and may succeed only when none is.
rmmod_loop() {
	local ok=0 busy=0 err names
	while [ ! -e "$stop" ]; do
		lock_take
		names=$(ls "$rec")
		if module_loaded && err=$(rmmod ztdns 2>&1); then
			ok=$((ok + 1))
			[ -z "$names" ] || violation "rmmod succeeded while these enforced: ${names//$'\n'/ }"
			insmod "$ZTDNS_KO" || violation "insmod after rmmod failed"
		elif module_loaded; then
			busy=$((busy + 1))
			case $err in
			*"in use"*) ;;
			*) violation "rmmod failed with '$err', not 'in use'" ;;
			esac
		fi
		lock_drop
		sleep 0.3
	done
	echo "rmmod: $ok unloads (each reloaded), $busy refused as in use"
}

# The initial namespace's mode flipped by sysfs and by netlink; enforce is
# recorded like a namespace's.
mode_loop() {
	local i=0 m
	while [ ! -e "$stop" ]; do
		i=$((i + 1))
		m=$(shuf -n1 -e off audit enforce)
		lock_take
		if module_loaded; then
			if [ $((i % 2)) = 0 ]; then
				echo "$m" >"$PARAMS/mode"
			else
				"$CTL" mode "$m" >/dev/null
			fi
			if [ "$m" = enforce ]; then
				touch "$rec/init"
			else
				rm -f "$rec/init"
			fi
		fi
		lock_drop
		sleep 0.5
	done
	echo "mode: $i flips"
}

# Deterministic first: an enforcing namespace refuses rmmod.
ns_dummy a
n0 ctl a mode enforce
refuse "in use" rmmod ztdns
n0 ip netns del "a-$pid"

rmmod_loop >"$state/rmmod.log" 2>&1 &
r=$!
mode_loop >"$state/mode.log" 2>&1 &
m=$!
worker 0 &
w0=$!
worker 1 &
w1=$!
wrc=0
wait "$w0" || wrc=1
wait "$w1" || wrc=1
touch "$stop"
wait "$r" "$m"
cat "$state/rmmod.log" "$state/mode.log"
eq 0 "$wrc" "workers' exit status"
if [ -s "$state/violations" ]; then
	fail "$(wc -l <"$state/violations") violations: $(head -n 5 "$state/violations")"
fi
eq 0 "$(grep -c ', 0 refused' "$state/rmmod.log" || true)" \
	"rmmod loop never refused (nothing enforced?)"

# With nothing enforcing, rmmod succeeds (once the namespaces' teardown,
# which the kernel does asynchronously, is over).
ensure_loaded
echo audit >"$PARAMS/mode"
unload
expect test ! -d /sys/module/ztdns
