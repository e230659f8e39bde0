#!/usr/bin/env python3
"""A TCP echo server: echo.py ADDR PORT (IPv4 or IPv6).  Serves until killed."""
import socket
import socketserver
import sys


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(4096)
            if not data:
                return
            self.request.sendall(data)


class Server(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
    allow_reuse_address = True
    daemon_threads = True


Server((sys.argv[1], int(sys.argv[2])), Echo).serve_forever()
