#!/bin/bash
# The entry limit (eviction of what nobody used, ENOSPC for a batch larger
# than the table, counted, nothing half-done) and a 100,000-address batch
# added and dumped back exactly.
#
#   a-PID: no devices needed; mode audit
. "$(dirname "$0")/lib.sh"

load_module
ns_new a
n0 ctl a mode audit

# max_entries applies to every namespace.
n0 sh -c "echo 5 > $PARAMS/max_entries"
for i in 1 2 3 4 5; do
	n0 ctl a allow add "203.0.113.$i" ttl $((300 + 10 * i))
done
eq 5 "$(ctl a --json status | jget entries)" "entries when full"
# Full: a new address evicts the entry nobody used that expires soonest.
n0 ctl a allow add 203.0.113.6 ttl 300
eq 5 "$(ctl a --json status | jget entries)" "entries after an eviction"
eq 1 "$(counter a evicted)" "evicted"
has() { ctl a --json allow list | grep -q "\"$1\""; }
expect has 203.0.113.6
refuse "" has 203.0.113.1
expect has 203.0.113.2
# Re-adding an existing address needs no room.
n0 ctl a allow add 203.0.113.5 ttl 600
# A batch with more new addresses than the table holds changes nothing at
# all, not even the extension it starts with.
{ echo "203.0.113.2 900"; for i in 10 11 12 13 14 15; do echo "203.0.113.$i"; done; } \
	>/tmp/batch-$pid
refuse "allow table full" ctl a allow load /tmp/batch-$pid
expect test "$(counter a insert_full)" -ge 1
eq 1 "$(counter a evicted)" "evicted after a refused batch"
expir=$(ctl a --json allow list | python3 -c '
import json, sys
print(int([e for e in json.load(sys.stdin) if e["addr"] == "203.0.113.2"][0]["expires"]))')
expect test "$expir" -le 320
n0 ctl a allow flush
n0 sh -c "echo 1048576 > $PARAMS/max_entries"

# 100,000 addresses (half IPv4 from 198.18.0.0/15, half IPv6 from
# 2001:db8:100::/48) with distinct TTLs, loaded in batches and dumped back.
python3 - "/tmp/load-$pid" <<'PY'
import ipaddress, random, sys
random.seed(7)
v4 = random.sample(range(1 << 17), 50000)
v6 = random.sample(range(1 << 40), 50000)
with open(sys.argv[1], "w") as f:
    for i, n in enumerate(v4):
        f.write("%s %d\n" % (ipaddress.IPv4Address(0xc6120000 + n), 1000 + i % 5000))
    for i, n in enumerate(v6):
        f.write("%s %d\n" % (ipaddress.IPv6Address((0x20010db80100 << 80) + n), 1000 + i % 5000))
PY
mem() { awk '/^(Slab|VmallocUsed):/ { s += $2 } END { print s }' /proc/meminfo; }
before=$(mem)
n0 ctl a allow load "/tmp/load-$pid"
# Memory per entry, as measured (slab objects and the hash's bucket array).
pretty info "memory: $(( ($(mem) - before) * 1024 / 100000 )) bytes per entry" \
	"(Slab + VmallocUsed delta);" \
	"$(awk '$1 == "ztdns_entry" { print $3 " objects of " $4 " bytes"; f = 1 }
		END { if (!f) print "the entry cache is merged into another" }' /proc/slabinfo)"
eq 100000 "$(ctl a --json status | jget entries)" "entries after the load"
n0 ctl a --json allow list >/tmp/dump-$pid
python3 - "/tmp/load-$pid" "/tmp/dump-$pid" <<'PY' || fail "the dump differs from the load"
import ipaddress, json, sys
want = {}
for line in open(sys.argv[1]):
    a, ttl = line.split()
    want[ipaddress.ip_address(a)] = int(ttl)
got = json.load(open(sys.argv[2]))
addrs = [ipaddress.ip_address(e["addr"]) for e in got]
print("loaded", len(want), "dumped", len(got), "distinct", len(set(addrs)))
assert len(got) == len(want) == len(set(addrs)), "counts"
assert set(addrs) == set(want), "addresses"
# The time left is the TTL less the seconds since the load.
off = [want[a] - e["expires"] for a, e in zip(addrs, got)]
assert all(0 <= o <= 120 for o in off), (min(off), max(off))
PY
n0 ctl a allow flush
eq 0 "$(ctl a --json status | jget entries)" "entries after the flush"
logged 'ztdns: flushed 100000 allow entries'
