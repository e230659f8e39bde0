#!/usr/bin/env python3
"""Send one packet and say whether LOCAL_OUT let it out.

  probe.py tcp ADDR PORT [--sport N]     non-blocking connect (sends a SYN)
  probe.py udp ADDR PORT [--sport N] [--dev IF] [--bcast]
  probe.py icmp6 ADDR TYPE --dev IF      a raw ICMPv6 message of that type
  probe.py trunc-udp ADDR                IPv4 with a UDP header cut short

Prints "pass" and exits 0 when the packet left, "blocked" and exits 1 when
the kernel refused it with EPERM (NF_DROP at LOCAL_OUT), "refused" and
exits 1 when it refused a TCP SYN with ECONNREFUSED; anything else exits 2.
No timing: a dropped packet fails the system call at once.
"""
import argparse
import errno
import socket
import struct
import sys


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def dest(addr, port, dev):
    if family(addr) == socket.AF_INET:
        return (addr, port)
    scope = socket.if_nametoindex(dev) if dev else 0
    return (addr, port, 0, scope)


def run(a):
    fam = family(a.addr)
    if a.kind == "tcp":
        s = socket.socket(fam, socket.SOCK_STREAM)
        if a.sport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("", a.sport))
        s.setblocking(False)
        err = s.connect_ex(dest(a.addr, a.port, a.dev))
        # A SYN refused by LOCAL_OUT fails connect() with ECONNREFUSED at
        # once; nothing else can answer so fast on a dummy route (and on
        # loopback the answer arrives after connect() returns).
        if err in (0, errno.EINPROGRESS):
            return 0
        return err
    if a.kind == "udp":
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if a.bcast:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if a.dev:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.dev.encode())
        if a.sport:
            s.bind(("", a.sport))
        s.sendto(b"ztdns", dest(a.addr, a.port, a.dev))
        return 0
    if a.kind == "icmp6":
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.dev.encode())
        msg = struct.pack("!BBHI", a.port, 0, 0, 0) + bytes(16)
        s.sendto(msg, dest(a.addr, 0, a.dev))
        return 0
    if a.kind == "trunc-udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        # 20-byte IP header and 3 bytes of a UDP header; the kernel fills
        # in the source address, total length and checksum.
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, 0, 0, 64,
                         socket.IPPROTO_UDP, 0, bytes(4),
                         socket.inet_aton(a.addr))
        s.sendto(ip + b"\x9c\x40\x03", (a.addr, 0))
        return 0
    raise SystemExit("unknown kind " + a.kind)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kind")
    p.add_argument("addr")
    p.add_argument("port", type=int, nargs="?", default=0)
    p.add_argument("--sport", type=int, default=0)
    p.add_argument("--dev")
    p.add_argument("--bcast", action="store_true")
    a = p.parse_args()
    try:
        err = run(a)
    except OSError as e:
        err = e.errno
    if err == 0:
        print("pass")
        return 0
    if err == errno.EPERM:
        print("blocked")
        return 1
    if err == errno.ECONNREFUSED:
        print("refused")
        return 1
    print("error", errno.errorcode.get(err, err))
    return 2


if __name__ == "__main__":
    sys.exit(main())
