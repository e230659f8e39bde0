# What the benchmarks' guest scripts share; sourced by bench/packet.sh and
# bench/insert.sh, which define bad() (report a failure, go on).
# shellcheck shell=bash

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
