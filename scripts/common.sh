# Shared settings for the ztdns scripts; sourced, not run.
# shellcheck shell=sh

ZTDNS_TOP=$(cd "$(dirname "$0")/.." && pwd)
ZTDNS_CACHE=${ZTDNS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ztdns}
ZTDNS_BUILD=${ZTDNS_BUILD:-$ZTDNS_TOP/build}
KSRC_TAR=${KSRC_TAR:-/usr/src/linux-source-6.1.tar.xz}
KSRC=$ZTDNS_CACHE/linux-6.1
JOBS=${JOBS:-$(nproc)}

say() { printf '%s\n' "[$(basename "$0")] $*" >&2; }
die() { say "error: $*"; exit 1; }

# vm_follow OUT VM-ARGUMENT...: scripts/vm -o OUT VM-ARGUMENT..., its guest
# output followed on standard error with host timestamps and kept in
# OUT/progress.log; returns the VM's exit status.
vm_follow() {
	_out=$1
	shift
	# Removed before tail starts, so that it cannot show the last run's.
	rm -f "$_out/output.log"
	: >"$_out/progress.log"
	"$ZTDNS_TOP/scripts/vm" -o "$_out" "$@" >/dev/null &
	_vm=$!
	tail --pid="$_vm" -s 0.2 -n +1 -F "$_out/output.log" 2>/dev/null |
		while IFS= read -r _l; do
			printf '%s %s\n' "$(date +%T.%2N)" "$_l"
		done | tee -a "$_out/progress.log" >&2
	wait "$_vm"
}

# The newest installed Debian kernel of a series ("6.1", "6.12"), or of any.
newest_kver() {
	ls /lib/modules 2>/dev/null | grep -F -- '-amd64' | grep -E -- '-amd64$' |
		awk -v p="${1:-}" 'index($0, p) == 1' | sort -V | tail -n 1
}

# Extract Debian's linux-source once into the cache and hook ztdns's Kconfig
# symbol into it, so that the same sources build into a KUnit (UML) kernel.
ksrc_prepare() {
	[ -f "$KSRC_TAR" ] || die "$KSRC_TAR missing: run scripts/deps"
	if [ ! -f "$KSRC/.ztdns-extracted" ]; then
		say "extracting $(basename "$KSRC_TAR") into $ZTDNS_CACHE (once)"
		rm -rf "$KSRC" "$KSRC.tmp"
		mkdir -p "$KSRC.tmp"
		tar -C "$KSRC.tmp" -xaf "$KSRC_TAR" --strip-components=1
		printf '\nsource "net/ztdns/Kconfig"\n' >>"$KSRC.tmp/net/Kconfig"
		printf '\nobj-$(CONFIG_ZTDNS) += ztdns/\n' >>"$KSRC.tmp/net/Makefile"
		mkdir -p "$KSRC.tmp/net/ztdns"
		touch "$KSRC.tmp/.ztdns-extracted"
		mv "$KSRC.tmp" "$KSRC"
	fi
	# Copy (not link) the sources: a link would let make pick up objects of
	# an out-of-tree build through VPATH.  Only files whose content changed
	# are written (and get a new mtime), so rebuilds stay incremental.
	rsync -r --checksum --delete --exclude='*.mod.c' --include='*/' \
		--include='*.[ch]' --include=Kbuild --include=Kconfig \
		--exclude='*' "$ZTDNS_TOP/kmod/" "$KSRC/net/ztdns/"
	rsync -r --checksum "$ZTDNS_TOP/uapi/linux/ztdns.h" \
		"$KSRC/include/uapi/linux/ztdns.h"
}
