#!/usr/bin/env python3
"""Hostile local clients of ztdnsd's TCP listener (RFC 7766 framing).

  hostile.py reset   [--clients N] [--rounds R] [--prefix P]
  hostile.py drip    [--conns N] [--sources A-B] [--every S] [--for T]
  hostile.py noread  [--conns N] [--source ADDR] [--queries Q] [--for T]
                     NAME TYPE
  hostile.py pending [--queries Q] [--wait S] [--prefix P]
  hostile.py flood   [--rate R] [--for T] NAME TYPE

Every mode talks to 127.0.0.1:53 (--server, --port) and may be run by any
local user; none of them may cost ztdnsd more than the slots and time its
limits allow, nor crash it.

reset: R rounds; in each, N connections each send one query for a new
name (P-ROUND-I.wild.ztdns.test A: answered upstream), then reset
(SO_LINGER 0) one after another, spread over twice the round trip of a
first query of the round: around the time their answers come back.
Prints "reset: R rounds of N, round trip MS ms".

drip: N connections, from source addresses A..B of 127/8 in turn, each
sending one byte of a 64-byte query (the first of its length) and then
one more every S seconds, never finishing within T; each reconnects when
ztdnsd closes it.
For T seconds; prints "drip: N opened, C closed by the server".

noread: N connections from ADDR, with a small receive window and small
segments, each sending Q queries for NAME TYPE back to back and then
reading nothing for T seconds; prints "noread: N
connections, C closed by the server" (a closed one is read to its end,
or reset: ztdnsd had not read all of its queries).

pending: one connection sends Q queries for new names (P-I.wild.ztdns.test
A), waits S seconds and resets with the queries still in flight.

flood: from one UDP socket, R queries a second for T seconds, each for a
new name (NAME holds one %d, replaced by a counter), answers read and
counted but never waited for, until T seconds have passed or SIGTERM.
With names the protective server holds, this is the attacker who would
fill ztdnsd's upstream pipeline and its table of queries in flight.
Prints "flood: N sent, A answered".
"""
import argparse
import random
import signal
import socket
import struct
import sys
import time

QTYPES = {"A": 1, "AAAA": 28, "TXT": 16}


def query(name, qtype, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", QTYPES[qtype], 1)
    return len(q).to_bytes(2, "big") + q


def connect(a, source=None, small=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if small:
        # A small window and small segments: the kernel buffers little of
        # what ztdnsd writes, and the rest waits in ztdnsd.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    if source:
        s.bind((source, 0))
    s.settimeout(10)
    s.connect((a.server, a.port))
    return s


def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def recv_msg(s):
    hdr = b""
    while len(hdr) < 2:
        got = s.recv(2 - len(hdr))
        if not got:
            return None
        hdr += got
    n = hdr[0] << 8 | hdr[1]
    msg = b""
    while len(msg) < n:
        got = s.recv(n - len(msg))
        if not got:
            return None
        msg += got
    return msg


def mode_reset(a):
    rtt = 0
    for r in range(a.rounds):
        # This round's round trip, for a new name: the time to aim at.
        t = time.monotonic()
        s = connect(a)
        s.sendall(query("%s-%d-rtt.wild.ztdns.test" % (a.prefix, r), "A", 1))
        recv_msg(s)
        s.close()
        rtt = time.monotonic() - t
        socks = []
        for i in range(a.clients):
            try:
                s = connect(a)
                s.sendall(query("%s-%d-%d.wild.ztdns.test" % (a.prefix, r, i),
                                "A", i))
                socks.append(s)
            except OSError:
                pass
        start = time.monotonic()
        times = sorted(random.uniform(0, 2 * rtt) for _ in socks)
        for s, when in zip(socks, times):
            delay = start + when - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            reset(s)
    print("reset: %d rounds of %d, round trip %.0f ms" %
          (a.rounds, a.clients, rtt * 1000))
    return 0


def sources(spec):
    lo, hi = spec.split("-")
    base = lo.rsplit(".", 1)
    return ["%s.%d" % (base[0], i) for i in range(int(base[1]), int(hi) + 1)]


DRIP = b"\x00\x40" + bytes(64)  # a length of 64, then its bytes


def mode_drip(a):
    src = sources(a.sources)
    conns = {}
    sent = {}
    opened = closed = 0

    def open_one(i):
        nonlocal opened
        try:
            s = connect(a, src[i % len(src)])
            s.setblocking(False)
            s.send(DRIP[:1])
            conns[i] = s
            sent[i] = 1
            opened += 1
        except OSError:
            conns.pop(i, None)

    for i in range(a.conns):
        open_one(i)
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        time.sleep(a.every)
        for i in range(a.conns):
            s = conns.get(i)
            try:
                if s is None:
                    raise OSError
                if s.recv(1) == b"":
                    raise OSError
            except BlockingIOError:
                try:
                    s.send(DRIP[sent[i]:sent[i] + 1])
                    sent[i] += 1
                    continue
                except OSError:
                    pass
            except OSError:
                pass
            if s is not None:
                closed += 1
                s.close()
            open_one(i)
    print("drip: %d opened, %d closed by the server" % (opened, closed))
    return 0


def mode_noread(a):
    socks = []
    for _ in range(a.conns):
        try:
            s = connect(a, a.source, small=True)
            s.setblocking(False)
            for i in range(a.queries):
                try:
                    s.send(query(a.name, a.type, i))
                except BlockingIOError:
                    break
            socks.append(s)
        except OSError:
            pass
    time.sleep(a.seconds)
    closed = 0
    for s in socks:
        s.settimeout(5)
        try:
            while True:
                if s.recv(65536) == b"":
                    closed += 1
                    break
        except ConnectionResetError:
            # Closed with our queries unread: the kernel resets.
            closed += 1
        except OSError:
            pass
        s.close()
    print("noread: %d connections, %d closed by the server" %
          (len(socks), closed))
    return 0


def mode_pending(a):
    s = connect(a)
    for i in range(a.queries):
        s.sendall(query("%s-%d.wild.ztdns.test" % (a.prefix, i), "A", i))
    time.sleep(a.wait)
    reset(s)
    print("pending: %d queries, reset" % a.queries)
    return 0


def mode_flood(a):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((a.server, a.port))
    s.setblocking(False)
    sent = answered = 0
    start = time.monotonic()
    end = start + a.seconds
    while True:
        now = time.monotonic()
        if now >= end or stop:
            break
        due = int((now - start) * a.rate)
        while sent < due:
            try:
                s.send(query(a.name % sent, a.type, sent & 0xffff)[2:])
            except BlockingIOError:
                break
            except OSError:
                pass
            sent += 1
        try:
            while True:
                s.recv(65536)
                answered += 1
        except (BlockingIOError, ConnectionRefusedError):
            pass
        time.sleep(0.01)
    print("flood: %d sent, %d answered" % (sent, answered))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", default="127.0.0.1")
    p.add_argument("--port", type=int, default=53)
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("reset")
    r.add_argument("--clients", type=int, default=100)
    r.add_argument("--rounds", type=int, default=20)
    r.add_argument("--prefix", default="rst")
    d = sub.add_parser("drip")
    d.add_argument("--conns", type=int, default=300)
    d.add_argument("--sources", default="127.0.0.2-9")
    d.add_argument("--every", type=float, default=2)
    d.add_argument("--for", dest="seconds", type=float, default=30)
    n = sub.add_parser("noread")
    n.add_argument("--conns", type=int, default=10)
    n.add_argument("--source", default="127.0.0.10")
    n.add_argument("--queries", type=int, default=128)
    n.add_argument("--for", dest="seconds", type=float, default=20)
    n.add_argument("name")
    n.add_argument("type")
    q = sub.add_parser("pending")
    q.add_argument("--queries", type=int, default=64)
    q.add_argument("--wait", type=float, default=0.5)
    q.add_argument("--prefix", default="pend")
    f = sub.add_parser("flood")
    f.add_argument("--rate", type=float, default=1000)
    f.add_argument("--for", dest="seconds", type=float, default=10)
    f.add_argument("name")
    f.add_argument("type")
    a = p.parse_args()
    return {"reset": mode_reset, "drip": mode_drip, "noread": mode_noread,
            "pending": mode_pending, "flood": mode_flood}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
