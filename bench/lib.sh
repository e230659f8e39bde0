# What the benchmarks' guest scripts share; sourced by bench/PART.sh after
# it sets PART (packet, insert or dns).
# shellcheck shell=bash disable=SC2034  # status: read by the script sourcing this

TSV=$ZTDNS_OUT/$PART.tsv	# the results, one record a line
status=0			# the script's exit status: 1 once bad() ran
: >"$TSV"
rec() { echo "$*" >>"$TSV"; }
log() { echo "[$PART] $*"; }
# bad: report a failure and go on; the script exits 1 at its end.
bad() { echo "[$PART] FAIL: $*"; status=1; }

# unload_ztdns: rmmod ztdns when it is loaded, waiting up to 120 s while
# namespaces deleted a moment ago still pin it (the kernel tears them
# down asynchronously, and a table of a million entries takes a while).
unload_ztdns() {
	local _
	for _ in $(seq 1200); do
		[ -d /sys/module/ztdns ] || return 0
		rmmod ztdns 2>/dev/null && return 0
		sleep 0.1
	done
	bad "rmmod ztdns failed"
	return 1
}
