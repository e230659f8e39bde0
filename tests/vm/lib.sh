# Helpers for the VM tests; sourced by each tests/vm/[0-9]*.sh (bash), which
# runs as root inside the guest (scripts/vm), never on the host.
# shellcheck shell=bash

set -euo pipefail

[ "${ZTDNS_KVER:-}" ] || { echo "run me through scripts/vmtest, in the VM" >&2; exit 1; }
: "${ZTDNS_KO:?ZTDNS_KO names the module built for this kernel}"

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CTL=$TOP/daemon/ztdnsctl
pid=$$
PARAMS=/sys/module/ztdns/parameters

# WireGuard netns.sh style: print each step, then do it.
pretty() { echo "[+] ${1:+$1: }${*:2}"; }
n0() { pretty "host" "$*"; "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect CMD...: CMD must succeed.
expect() { pretty "check" "$*"; "$@" || fail "'$*' failed"; }

# refuse ERRTEXT CMD...: CMD must fail, and its stderr must contain ERRTEXT.
refuse() {
	local want=$1 err
	shift
	pretty "refuse" "$* (expecting: $want)"
	if err=$("$@" 2>&1 >/dev/null); then
		fail "'$*' succeeded"
	fi
	case $err in
	*"$want"*) ;;
	*) fail "'$*' failed with '$err', not '$want'" ;;
	esac
}

# eq WANT GOT [WHAT]
eq() { [ "$1" = "$2" ] || fail "${3:-value}: want '$1', got '$2'"; }

module_loaded() { [ -d /sys/module/ztdns ]; }

load_module() {
	n0 insmod "$ZTDNS_KO" "$@"
}

unload_module() {
	if module_loaded; then
		n0 rmmod ztdns
	fi
}

# Namespaces made by a test carry its pid; cleanup removes them.
cleanup() {
	local ns
	for ns in $(ip netns list | awk '{print $1}' | grep -- "-$pid\$" || true); do
		ip netns del "$ns"
	done
	if module_loaded; then
		echo off >"$PARAMS/mode" 2>/dev/null || true
		rmmod ztdns 2>/dev/null || true
	fi
}
trap cleanup EXIT
