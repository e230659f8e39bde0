#!/usr/bin/env python3
"""A TCP sink: sink.py PORT.  Accepts on every IPv4 and IPv6 address of its
namespace (AnyIP local routes included) and closes at once; until killed."""
import selectors
import socket
import sys

port = int(sys.argv[1])
sel = selectors.DefaultSelector()
for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port))
    s.listen(512)
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        conn, _ = key.fileobj.accept()
        conn.close()
