#!/bin/bash
# Services on an enforcing host: a peer's TCP connections and UDP datagrams
# to it are answered, IPv4 and IPv6, though the peer's address was never
# resolved; and nothing outbound can pass itself off as such a reply.  A
# listener's SYN-ACK names the listener's owner in the log (not a uid read
# past the end of the request socket): checked in the events, which the
# log's rate limit does not thin out.  A SYN flood larger than the flows
# table keeps neither new peers out nor cuts a connection in use.
#
#   a-PID (enforce)                           b-PID (off)
#     va 192.0.2.1/24, 2001:db8::1/64 <--veth--> vb 192.0.2.2/24, 2001:db8::2/64
#     TCP echo :2222 (as nobody), UDP echo :5353    the clients
. "$(dirname "$0")/lib.sh"

load_module
ns_new a
ns_new b
n0 ip link add va netns "a-$pid" type veth peer name vb netns "b-$pid"
ip -n "a-$pid" addr add 192.0.2.1/24 dev va
ip -n "a-$pid" addr add 2001:db8::1/64 dev va nodad
ip -n "b-$pid" addr add 192.0.2.2/24 dev vb
ip -n "b-$pid" addr add 2001:db8::2/64 dev vb nodad
ip -n "a-$pid" link set va up
ip -n "b-$pid" link set vb up
n0 ctl a mode enforce
n0 ctl a set log 2
# The events of a: the log lines are rate-limited, the events are not (at
# this test's pace).
monitor_start a /tmp/events-$pid.json

# The services go first, then lib.sh's cleanup (namespaces, the module).
stop_services() {
	kill $(jobs -p) 2>/dev/null || true
	wait 2>/dev/null || true
}
trap 'stop_services; cleanup' EXIT

# The services, as nobody, in a.
ip netns exec "a-$pid" $NOBODY python3 "$TOP/tests/vm/echo.py" 192.0.2.1 2222 &
ip netns exec "a-$pid" $NOBODY python3 "$TOP/tests/vm/echo.py" 2001:db8::1 2222 &
ip netns exec "a-$pid" $NOBODY python3 - <<'PY' &
import socket, selectors
sel = selectors.DefaultSelector()
for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 5353))
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        data, peer = key.fileobj.recvfrom(2048)
        key.fileobj.sendto(data, peer)
PY
for _ in $(seq 100); do
	[ "$(ip netns exec "a-$pid" ss -Hltn 'sport = :2222' | wc -l)" -ge 2 ] &&
		[ "$(ip netns exec "a-$pid" ss -Hlun 'sport = :5353' | wc -l)" -ge 2 ] && break
	sleep 0.2
done

# client ADDR PROTO [SPORT]: from b, one exchange with a's service.
client() {
	nsx b python3 - "$@" <<'PY'
import socket, sys
addr, proto = sys.argv[1], sys.argv[2]
sport = int(sys.argv[3]) if len(sys.argv) > 3 else 0
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
if proto == "tcp":
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(10)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    s.connect((addr, 2222))
    for i in range(20):
        msg = b"x%d" % i * 100
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            got += s.recv(4096)
        assert got == msg, got
    s.close()
else:
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    s.sendto(b"ping", (addr, 5353))
    assert s.recvfrom(2048)[0] == b"ping"
print("served")
PY
}

expect client 192.0.2.1 tcp
expect client 2001:db8::1 tcp
expect client 192.0.2.1 udp 40201
expect client 2001:db8::1 udp 40202
# The listener's SYN-ACK: passed, and the owner is the listener's.
event() {
	python3 - "/tmp/events-$pid.json" "$@" <<'PY'
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[2:])
for line in open(sys.argv[1]):
    e = json.loads(line)
    if all(str(e.get(k)) == v for k, v in want.items()):
        sys.exit(0)
sys.exit(1)
PY
}
eventually event verdict=permit proto=tcp sport=2222 daddr=192.0.2.2 uid=65534
expect test "$(counter a blocked)" -eq 0

# What an attacker in a tries.  Nothing of b was resolved, so outbound
# traffic to b is refused...
block a tcp 192.0.2.2 2222
block a udp 192.0.2.2 40201 --sport 5354
block a udp 2001:db8::2 40202 --sport 5354
# ...and a connect() from a listener's port (SO_REUSEPORT beside it) to
# the address and port a peer connected from: the same four addresses and
# ports as an accepted connection, but it starts with a SYN.
blocked=$(counter a blocked)
refuse "refused" ip netns exec "a-$pid" python3 - "b-$pid" "$TOP/tests/vm/echo.py" <<'PY'
import socket, subprocess, sys, time
def sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.settimeout(10)
    s.bind(("192.0.2.1", 2224))
    return s
lst = sock()
lst.listen(1)
# The peer connects from 192.0.2.2:40300 and talks: an accepted flow.
peer = subprocess.Popen(["ip", "netns", "exec", sys.argv[1], "python3", "-c", """
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(10)
s.bind(("192.0.2.2", 40300))
s.connect(("192.0.2.1", 2224))
s.sendall(b"hello")
assert s.recv(5) == b"hello"
s.close()
"""])
conn, _ = lst.accept()
conn.sendall(conn.recv(5))
assert peer.wait() == 0, "the peer's connection failed"
conn.close()
# The peer listens where it connected from...
ns = ["ip", "netns", "exec", sys.argv[1]]
srv = subprocess.Popen(ns + ["python3", sys.argv[2], "192.0.2.2", "40300"])
try:
    while not subprocess.run(ns + ["ss", "-Hltn", "sport = :40300"],
                             capture_output=True).stdout:
        time.sleep(0.2)
    # ...and a connect() goes there from the listener's port.
    s = sock()
    try:
        s.connect(("192.0.2.2", 40300))
    except ConnectionRefusedError:
        sys.exit("refused")
    sys.exit("connected")
finally:
    srv.kill()
PY
expect test "$(counter a blocked)" -gt "$blocked"
eventually event verdict=block proto=tcp sport=2224 daddr=192.0.2.2 dport=40300
expect test "$(counter a blocked)" -ge 4

# A peer that floods SYNs to closed ports, more than the flows table holds
# (65536), keeps no one else out: a new flow takes the place of such a
# claim, never of a connection in use.  (Before: every later connection's
# SYN-ACK was refused, for as long as the flood lasted plus 75 s.)
done_file=/tmp/flood-done-$pid
nsx b python3 - "$done_file" <<'PY' >"/tmp/kept-$pid.out" 2>&1 &
import os, socket, sys, time
s = socket.create_connection(("192.0.2.1", 2222), timeout=10)
s.sendall(b"before")
assert s.recv(6) == b"before"
print("open", flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.2)
s.sendall(b"after")
got = b""
while len(got) < 5:
    got += s.recv(5)
assert got == b"after", got
print("kept")
PY
kept=$!
eventually grep -q open "/tmp/kept-$pid.out"
nsx b python3 - <<'PY'
import errno, socket, struct, time
src, dst = socket.inet_aton("192.0.2.2"), socket.inet_aton("192.0.2.1")
def fold(x):
    while x >> 16:
        x = (x & 0xffff) + (x >> 16)
    return x
pseudo = src + dst + struct.pack(">BBH", 0, 6, 20)
hdr = struct.pack(">HHIIHHHH", 0, 0, 1, 0, 0x5002, 0xffff, 0, 0)
base = sum(struct.unpack(">16H", pseudo + hdr))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
n = 0
for dport in (7000, 7001):
    for sport in range(1024, 1024 + 35000):
        c = (~fold(base + sport + dport)) & 0xffff
        pkt = struct.pack(">HHIIHHHH", sport, dport, 1, 0, 0x5002, 0xffff, c, 0)
        while True:
            try:
                s.sendto(pkt, ("192.0.2.1", 0))
                break
            except OSError as e:
                # The peer's backlog is full (a slow kernel): wait a little.
                if e.errno != errno.ENOBUFS:
                    raise
                time.sleep(0.001)
        n += 1
print("flood: %d SYNs to closed ports" % n)
PY
touch "$done_file"
wait "$kept" || fail "the connection open during the flood: $(cat "/tmp/kept-$pid.out")"
rm -f "$done_file" "/tmp/kept-$pid.out"
expect client 192.0.2.1 tcp
expect client 2001:db8::1 tcp
expect client 192.0.2.1 udp 40203
