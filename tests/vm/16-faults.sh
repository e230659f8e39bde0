#!/bin/bash
# Every allocation of an operation may fail, and each failure must be clean:
# failslab and fail_page_alloc with fail-nth (tests/vm/faults.py) fail the
# 1st, 2nd, 3rd... allocation of ADD_ENTRIES (into a full and an empty
# namespace, and one that extends present entries), a GET_ENTRIES dump of several messages, ADD_SUBNET,
# ADD_SERVER, SET_CONFIG mode enforce, the first SET_CONFIG and the first
# ADD_ENTRIES of a namespace never set up (a new one per attempt: they set
# it up), namespace creation (netns_mode enforce and off; its first 60
# allocations and its last 60, ztdns's ->init's among them: it is
# registered last) and module load (with parameters), until one runs
# without reaching the fault.  After each injected failure the operation
# must have failed with ENOMEM or ENOBUFS and left the state as it was
# (entries, subnets, servers, config, counters; for a namespace, the
# module's reference count; for a load, no module).  kmemleak (scanned by
# tests/vm/run) and the kernel log check the rest.  Needs a kernel with
# CONFIG_FAULT_INJECTION (the debug kernel); skipped elsewhere.
#
#   host ── full-PID   500 entries: ADD_ENTRIES, GET_ENTRIES
#        ├─ empty-PID  ADD_ENTRIES, ADD_SUBNET, ADD_SERVER
#        ├─ off-PID    SET_CONFIG mode enforce
#        └─ unshare(CLONE_NEWNET) and finit_module from the host
. "$(dirname "$0")/lib.sh"

FAULTS=$TOP/tests/vm/faults.py
DBG=/sys/kernel/debug
if [ ! -e /proc/self/fail-nth ] || [ ! -d $DBG/failslab ]; then
	echo "no fail-nth or failslab: this kernel has no fault injection"
	exit 77
fi

# fail-nth takes precedence over probability, interval and times; the
# capability's own filters still apply: count sleeping (GFP_KERNEL)
# allocations and order-0 pages too.  No task has make-it-fail, so the
# task filter keeps probability 100 away from everything else.
# shellcheck disable=SC2317 # run through n0
fi_set() {
	local d
	for d in failslab fail_page_alloc; do
		echo "$1" >"$DBG/$d/probability"
		echo Y >"$DBG/$d/task-filter"
		echo 1 >"$DBG/$d/times"
		echo 0 >"$DBG/$d/space"
		echo 1 >"$DBG/$d/verbose"
		echo N >"$DBG/$d/ignore-gfp-wait"
	done
	echo 0 >"$DBG/fail_page_alloc/min-order"
}
# shellcheck disable=SC2317 # called by the trap
fi_cleanup() {
	fi_set 0
	cleanup
}
trap fi_cleanup EXIT
n0 fi_set 100

load_module
for ns in full empty off; do
	ns_new $ns
done
eq off "$(ctl off --json status | jget mode)" "mode of a new namespace"
nsx full python3 "$FAULTS" fill 500
eq 500 "$(ctl full --json status | jget entries)" "entries"

nsx full python3 "$FAULTS" add-entries
nsx full python3 "$FAULTS" add-entries-again
nsx empty python3 "$FAULTS" add-entries
nsx full python3 "$FAULTS" dump
nsx empty python3 "$FAULTS" add-subnet
nsx empty python3 "$FAULTS" add-server
nsx off python3 "$FAULTS" set-mode
eq off "$(ctl off --json status | jget mode)" "mode after the walk"
# Setting a namespace up (its tables, counters and hooks) happens once:
# these walks take a new namespace for each attempt.
n0 python3 "$FAULTS" set-mode-new
n0 python3 "$FAULTS" add-entries-new

n0 sh -c "echo enforce >$PARAMS/netns_mode"
n0 python3 "$FAULTS" netns
n0 sh -c "echo off >$PARAMS/netns_mode"
n0 python3 "$FAULTS" netns

for ns in full empty off; do
	n0 ip netns del "$ns-$pid"
done
unload
n0 python3 "$FAULTS" load "$ZTDNS_KO" \
	"mode=enforce servers=192.0.2.53,[2001:db8::53]:8853 subnets=198.51.100.0/24,2001:db8:1::/48"
module_loaded && fail "the module stayed loaded"
exit 0
