#!/usr/bin/env python3
"""A DNS-over-TLS server that closes with queries in flight.

  flakydot.py ADDR CERT KEY UPSTREAM --answer K [--hold S] [--hold-names X]

Listens on ADDR:853 (TLS with CERT and KEY) and, on every connection,
answers the first K queries (each forwarded over UDP to UPSTREAM:53, the
test's unbound), then reads one more and closes the connection (TLS
close_notify, then FIN) without answering it: a server closing whenever
it likes, as RFC 7766 lets it.  With --answer 0 it never answers: every
connection is closed at its first query.  --hold S waits S seconds before
that close (so that more queries are in flight).  --hold-names X: a query
whose name contains X is read and never answered (as a recursive
resolver holds one while an authoritative server does not answer), nor
counted among the K; the others are answered as they come.  Prints one
line per connection ("conn N answered K held H closed") on standard
output; until killed.

Who sends what: the test, as the protective server ztdnsd trusts; what
ztdnsd must do: resend what was in flight on a new connection, and back
off from a server that closes every connection without answering; and,
with --hold-names, answer the other queries while the held ones wait.
"""
import argparse
import socket
import ssl
import sys
import threading
import time

count_lock = threading.Lock()
nconns = 0


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        got = s.recv(n - len(buf))
        if not got:
            return None
        buf += got
    return buf


def forward(upstream, msg):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(3)
        u.sendto(msg, (upstream, 53))
        while True:
            rep, _ = u.recvfrom(65535)
            if rep[:2] == msg[:2]:
                return rep


def serve(conn, n, a):
    answered = held = 0
    hold = a.hold_names.encode() if a.hold_names else None
    try:
        while True:
            hdr = recv_exact(conn, 2)
            if hdr is None:
                break
            msg = recv_exact(conn, hdr[0] << 8 | hdr[1])
            if msg is None:
                break
            if hold and hold in msg[12:].lower():
                held += 1
                continue
            if answered >= a.answer:
                time.sleep(a.hold)
                break
            rep = forward(a.upstream, msg)
            conn.sendall(len(rep).to_bytes(2, "big") + rep)
            answered += 1
        try:
            conn.unwrap()
        except (OSError, ssl.SSLError):
            pass
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()
    print("conn %d answered %d held %d closed" % (n, answered, held),
          flush=True)


def main():
    global nconns
    p = argparse.ArgumentParser()
    p.add_argument("addr")
    p.add_argument("cert")
    p.add_argument("key")
    p.add_argument("upstream")
    p.add_argument("--answer", type=int, default=2)
    p.add_argument("--hold", type=float, default=0)
    p.add_argument("--hold-names")
    a = p.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, 853))
    ls.listen(64)
    while True:
        raw, _ = ls.accept()
        try:
            raw.settimeout(10)
            conn = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        with count_lock:
            nconns += 1
            n = nconns
        threading.Thread(target=serve, args=(conn, n, a), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
