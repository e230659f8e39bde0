#!/usr/bin/env python3
"""Echo client for the expiry test.

  talker.py ADDR PORT --talk T --every I --idle J [--until FILE]
            [--timeout S] [--before CMD...]

Connects, then for T seconds (or until FILE exists, with --until) sends one
byte every I seconds and waits for its echo; then stays idle J seconds and
sends one more byte.  Prints "alive N" after the talking phase (N echoes)
and then "echo" or "cut" for the last byte (cut: no echo within S seconds,
default 5).  Exit 0; exit 1 if an echo of the talking phase was missing
("cut after N: ERROR"), the connection could not be made, or the peer
closed.  --before runs a command right before connecting (to add the
entry then, not before this interpreter's slow start under emulation).
"""
import argparse
import os
import socket
import subprocess
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--talk", type=float, default=8)
    p.add_argument("--every", type=float, default=0.5)
    p.add_argument("--idle", type=float, default=7)
    p.add_argument("--until")
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("--before", nargs=argparse.REMAINDER)
    a = p.parse_args()
    if a.before:
        subprocess.run(a.before, check=True)
    s = socket.create_connection((a.addr, a.port), timeout=a.timeout)
    n = 0
    end = time.monotonic() + a.talk
    while time.monotonic() < end:
        if a.until and os.path.exists(a.until):
            break
        try:
            s.sendall(b"x")
            got = s.recv(1)
        except OSError as e:
            print(f"cut after {n}: {e}", flush=True)
            return 1
        if got != b"x":
            print("peer closed")
            return 1
        n += 1
        time.sleep(a.every)
    print("alive", n, flush=True)
    time.sleep(a.idle)
    s.sendall(b"y")
    try:
        got = s.recv(1)
    except socket.timeout:
        print("cut")
        return 0
    print("echo" if got == b"y" else "peer closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
