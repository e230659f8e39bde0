#!/bin/bash
# The generic netlink family under attack (tests/vm/genlfuzz.py): random
# and mutated requests for every command and attribute, as root in the
# initial namespace and, at the same time, as nobody in a namespace of its
# own, while other processes create and destroy namespaces (enforcing
# through netns_mode or ztdnsctl), flip the mode (sysfs and netlink) and add
# and flush entries.  Root's replies are all well-formed and the state stays
# consistent; nobody gets EPERM for everything and changes nothing, nor
# from a user namespace of its own.  The harness fails on any kernel
# report, and on kmemleak at the end.
#
#   ZTDNS_GENL_FUZZ_COUNT   root's messages (default 1000; make fuzz-kernel
#                           sends 1000000); nobody sends a third as many
#   ZTDNS_GENL_FUZZ_SEED    the seed (default: random, printed)
#
#   host: the root fuzzer, mode flips, entry churn
#   q-PID: enforcing, entries/subnets/servers (lo only); the nobody fuzzer
#   c<N>-PID: created and destroyed in a loop
. "$(dirname "$0")/lib.sh"

FUZZ=$TOP/tests/vm/genlfuzz.py
count=${ZTDNS_GENL_FUZZ_COUNT:-1000}
seed=${ZTDNS_GENL_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
stop=/tmp/genlfuzz-stop-$pid
echo "seed $seed, $count messages (ZTDNS_GENL_FUZZ_SEED=$seed to repeat)"

# A small table: the fuzzer's huge batches reach ENOSPC and eviction.
load_module max_entries=512

ns_new q
n0 ctl q mode enforce
n0 ctl q set max_ttl 604800
n0 ctl q allow add 192.0.2.9 ttl 604800
n0 ctl q allow add 2001:db8::9 ttl 604800
n0 ctl q subnet add 198.51.100.0/24
n0 ctl q server add 192.0.2.53
before=$(ip netns exec "q-$pid" python3 "$FUZZ" snapshot)

# Namespaces come and go: enforcing from birth (netns_mode), or made to
# enforce or audit with ztdnsctl, given entries and subnets, then deleted.
churn_netns() {
	local i=0 ns
	while [ ! -e "$stop" ]; do
		i=$((i + 1))
		ns=c$((i % 4))
		case $((i % 3)) in
		0) echo enforce >"$PARAMS/netns_mode" ;;
		*) echo off >"$PARAMS/netns_mode" ;;
		esac
		ip netns add "$ns-$pid" || continue
		case $((i % 3)) in
		1) ctl "$ns" mode enforce ;;
		2) ctl "$ns" mode audit ;;
		esac
		ctl "$ns" allow add 198.18.0.$((i % 200)) ttl 30 || true
		ctl "$ns" subnet add 198.19.$((i % 200)).0/24 || true
		ip netns exec "$ns-$pid" "$PROBE" udp 203.0.113.1 53 >/dev/null 2>&1 || true
		ip netns del "$ns-$pid"
		sleep 0.2
	done
	echo "churn: $i namespaces"
}

# The initial namespace's mode, by sysfs and by netlink.
churn_mode() {
	local i=0 m
	while [ ! -e "$stop" ]; do
		i=$((i + 1))
		m=$(shuf -n1 -e off audit enforce)
		if [ $((i % 2)) = 0 ]; then
			echo "$m" >"$PARAMS/mode"
		else
			"$CTL" mode "$m" >/dev/null
		fi
		sleep 0.1
	done
	echo "mode: $i flips"
}

# Entries and subnets of the initial namespace added and flushed.
churn_entries() {
	local i=0
	while [ ! -e "$stop" ]; do
		i=$((i + 1))
		"$CTL" allow add 198.18.1.$((i % 250)) ttl $((i % 5 + 1)) >/dev/null
		"$CTL" subnet add 198.19.$((i % 250)).0/24 >/dev/null 2>&1 || true
		if [ $((i % 20)) = 0 ]; then
			"$CTL" allow flush >/dev/null
		fi
		sleep 0.1
	done
	echo "entries: $i adds"
}

rm -f "$stop"
churn_netns &
c1=$!
churn_mode &
c2=$!
churn_entries &
c3=$!
ip netns exec "q-$pid" $NOBODY python3 "$FUZZ" unpriv --seed $((seed + 1)) \
	--count $((count / 3)) >"/tmp/unpriv-$pid.log" 2>&1 &
u=$!
rc=0
pretty host "genlfuzz.py fuzz --seed $seed --count $count"
python3 "$FUZZ" fuzz --seed "$seed" --count "$count" || rc=$?
urc=0
wait "$u" || urc=$?
cat "/tmp/unpriv-$pid.log"
touch "$stop"
wait "$c1" "$c2" "$c3" || fail "a churn loop failed"
eq 0 "$rc" "root fuzzer's exit status (seed $seed)"
eq 0 "$urc" "nobody's fuzzer's exit status (seed $((seed + 1)))"

# Nothing nobody sent changed its namespace.
after=$(ip netns exec "q-$pid" python3 "$FUZZ" snapshot)
eq "$before" "$after" "namespace q after nobody's messages"
n0 ip netns exec "q-$pid" python3 "$FUZZ" check

# The initial namespace is consistent once the churn stopped, and its
# valid requests still work.
n0 python3 "$FUZZ" check

# Root of a user namespace of its own is still not CAP_NET_ADMIN where it
# counts: everything EPERM, and no enforcing namespace pins the module.
refs=$(cat /sys/module/ztdns/refcnt)
if $NOBODY unshare -Urn true 2>/dev/null; then
	n0 $NOBODY unshare -Urn python3 "$FUZZ" unpriv --seed $((seed + 2)) \
		--count $((count / 10))
else
	echo "no unprivileged user namespaces here: that part skipped"
fi
eq "$refs" "$(cat /sys/module/ztdns/refcnt)" "module references"
