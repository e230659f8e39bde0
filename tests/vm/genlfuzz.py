#!/usr/bin/env python3
"""A generic netlink fuzzer for the ztdns family: random and mutated
requests for every command and attribute of uapi/linux/ztdns.h (read from
the header through ztnl.py), each followed by a valid request as a fence,
and every reply checked for well-formedness.

  genlfuzz.py fuzz [--seed N] [--count N]
        as root: every reply is a well-formed netlink message (an error with
        a negative errno or an ack, a valid reply, a valid dump ending in
        NLMSG_DONE); the fence (GET_CONFIG) always succeeds; the counters
        never go down; then the checks of "check"
  genlfuzz.py unpriv [--seed N] [--count N]
        as a user without CAP_NET_ADMIN: every request that reaches an
        operation fails with EPERM, nothing succeeds, no data comes back
  genlfuzz.py check
        the namespace is consistent (GET_CONFIG within its ranges and equal
        to the module parameters in the initial namespace, the entry count
        equal to a dump, the counters adding up) and root's valid requests
        still work
  genlfuzz.py snapshot
        the state an unprivileged sender must not change, one line

Who may send what: every operation needs CAP_NET_ADMIN (GENL_ADMIN_PERM);
a hostile root is out of scope, but no message may crash the kernel, leak,
or leave the namespace inconsistent; a hostile user gets EPERM.
The seed is printed first: the same seed sends the same messages (the
other processes of the test interleave differently).  Exit status 0 when
every invariant held, 1 otherwise.
"""
import errno
import os
import random
import re
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ztnl import (parse_attrs_list, CMD, DOC, DUMPS, ENUMS, NETLINK_EXT_ACK, NETLINK_GENERIC,  # noqa: E402
                  NLA_F_NESTED, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE,
                  NLMSG_ERROR, NOTES, SOL_NETLINK, U, Genl, attr, entry, nest,
                  parse_attrs, u8, u16, u32)

NLA_F_NET_BYTEORDER = 0x4000
NLA_TYPE_MASK = 0x3fff
NLM_F_MULTI, NLM_F_ECHO, NLM_F_DUMP_INTR, NLM_F_ACK_TLVS = 0x2, 0x8, 0x10, 0x200
NETLINK_CAP_ACK = 10
MSG_TRUNC = 0x20
PARAMS = "/sys/module/ztdns/parameters"
AF4, AF6 = socket.AF_INET, socket.AF_INET6
SIZES = {"u8": 1, "u16": 2, "u32": 4, "u64": 8}
FMT = {"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q"}


def kind(name):
    """What the header's comment says an attribute holds: (kind, prefix of
    the nested attributes)."""
    note = NOTES.get(name, "")
    m = re.search(r"nested (array of nested )?(ZTDNS_\w+_A_)", note)
    if m:
        return ("array" if m.group(1) else "nest", m.group(2))
    for t in SIZES:
        if note.startswith(t):
            return (t, None)
    if "bytes" in note:
        return ("addr", None)
    if note.startswith("string"):
        return ("string", None)
    if name.startswith("ZTDNS_STATS_A_") and not name.endswith("_PAD"):
        return ("u64", None)	# "u64 each", says the header
    return ("pad", None)


def attr_sets():
    """prefix -> [(value, name, kind, nested prefix)] for every attribute
    enum of the header."""
    out = {}
    for enum, names in ENUMS.items():
        if not (enum == "ztdns_attr" or enum.endswith("_attr")):
            continue
        prefix = names[0][:-len("UNSPEC")]
        out[prefix] = [(U[n], n) + kind(n) for n in names
                       if not n.startswith("__") and not n.endswith("_UNSPEC")]
    return out


ATTRS = attr_sets()
TOP = "ZTDNS_A_"
A_MAX = U["ZTDNS_A_MAX"]
CMDS = [U[n] for n in ENUMS["ztdns_cmd"] if not n.startswith("__")]
CMD_MAX = U["ZTDNS_CMD_MAX"]
CMD_NAME = {U[n]: re.sub(r"^_*ZTDNS_CMD_", "", n) for n in ENUMS["ztdns_cmd"]}
# The operations the family has: what a user may send (not UNSPEC, not EVENT).
OPS = set(CMD.values())
DUMP_OPS = {CMD[n] for n in DUMPS}
TTL_LIMIT = U["ZTDNS_TTL_LIMIT"]


def cmd_attrs():
    """command -> the top-level attributes its paragraph of the header's
    top comment names before "reply:" ("as ADD_ENTRIES" borrows that
    command's)."""
    out = {}
    for sec in re.split(r"\n \* (?=ZTDNS_CMD_)", DOC)[1:]:
        head = sec.split("\n")[0]
        req = sec.split("reply:")[0]
        names = [U[n] for n in sorted(set(re.findall(r"ZTDNS_A_\w+", req))) if n in U]
        like = re.search(r"\bas ([A-Z_]+),", head)
        if not names and like:
            names = out.get(U["ZTDNS_CMD_" + like.group(1)], [])
        for c in re.findall(r"ZTDNS_CMD_\w+", head.split(" as ")[0]):
            out[U[c]] = names
    return out


CMD_ATTRS = cmd_attrs()

INTERESTING = {
    "u8": [0, 1, 2, 3, 4, 24, 32, 33, 64, 127, 128, 129, 255],
    "u16": [0, 1, 2, 10, 53, 99, 853, 0x7fff, 0x8000, 0xffff],
    "u32": [0, 1, 2, 59, 60, 3600, 86400, TTL_LIMIT - 1, TTL_LIMIT, TTL_LIMIT + 1,
            2**31 - 1, 2**31, 2**32 - 1],
    "u64": [0, 1, 2**32, 2**63, 2**64 - 1],
}


class Gen:
    """Builds requests as trees of [type, payload, length override]: a
    payload is bytes or a list of such nodes."""

    def __init__(self, r, huge=1500):
        self.r = r
        self.huge = huge
        self.careful = False	# this request's values and attributes valid

    def rb(self, n):
        """n random bytes from the seeded generator."""
        return self.r.getrandbits(8 * n).to_bytes(n, "little") if n else b""

    def addr(self, fam):
        r = self.r
        if fam == AF4:
            return bytes([192, 0, 2, r.randrange(16)])
        if fam == AF6:
            return bytes([0x20, 1, 0xd, 0xb8] + [0] * 11 + [r.randrange(16)])
        return self.rb(r.choice([0, 1, 4, 16, 17]))

    def scalar(self, k):
        r = self.r
        v = r.choice(INTERESTING[k]) if r.random() < 0.6 else r.getrandbits(8 * SIZES[k])
        return struct.pack(FMT[k], v)

    def leaf(self, name, k, fam):
        """A value for attribute name, usually one its policy accepts."""
        r = self.r
        if name.endswith("_FAMILY"):
            v = fam if self.careful or r.random() < 0.9 else r.choice([0, 1, 7, 99, 0xffff])
            return struct.pack("=H", v)
        if k == "addr":
            if self.careful or r.random() < 0.9:
                return self.addr(fam)
            return self.rb(r.choice([0, 3, 5, 15, 17, 20]))
        if name.endswith("_TTL") and (self.careful or r.random() < 0.7):
            return struct.pack("=I", r.choice([0, 1, 2, 5, 60, 300, TTL_LIMIT]))
        if name.endswith("_PREFIX_LEN") and (self.careful or r.random() < 0.7):
            bits = 32 if fam == AF4 else 128
            return struct.pack("=B", r.choice([bits, bits, bits - 4, 0]))
        if name.endswith("_MODE") and r.random() < 0.8:
            return struct.pack("=B", r.choice([0, 1, 1, 2]))	# enforce pins: rarer
        if k in SIZES and self.careful:
            v = {"u8": [0, 1], "u16": [53, 853, 5353],
                 "u32": [0, 1, 5, 60, 3600, 86400, TTL_LIMIT], "u64": [0, 1]}[k]
            return struct.pack(FMT[k], r.choice(v))
        if k in SIZES:
            return self.scalar(k)
        if k == "string":
            return self.rb(r.randrange(20)).replace(b"\0", b"x") + b"\0"
        return self.rb(r.choice([0, 4, 8]))

    def nest(self, prefix):
        """The children of a nest of prefix's attributes, one address family."""
        r = self.r
        fam = r.choice([AF4, AF6])
        kids = []
        for v, name, k, sub in ATTRS[prefix]:
            useful = not re.search(r"dump only|read only", NOTES.get(name, ""))
            if useful and k != "pad" and self.careful or \
                    r.random() < (0.85 if useful and k != "pad" else 0.05):
                kids.append(self.value(v, name, k, sub, fam))
        if kids and prefix == "ZTDNS_SUBNET_A_":
            self.mask(kids)
        if r.random() < 0.2:
            r.shuffle(kids)
        return kids

    def mask(self, kids):
        """Clear the host bits of a subnet, as a valid request must."""
        got = {n[0]: n for n in kids}
        a, p = got.get(U["ZTDNS_SUBNET_A_ADDR"]), got.get(U["ZTDNS_SUBNET_A_PREFIX_LEN"])
        if a and p and isinstance(a[1], bytes) and len(p[1]) == 1 and self.r.random() < 0.8:
            n = int.from_bytes(a[1], "big")
            bits = len(a[1]) * 8
            plen = min(p[1][0], bits)
            a[1] = (n >> (bits - plen) << (bits - plen) if plen else 0).to_bytes(len(a[1]), "big")

    def count(self):
        r = self.r
        x = r.random()
        if x < 0.6:
            return r.randrange(5)
        if x < 0.95:
            return r.randrange(5, 60)
        return r.randrange(100, self.huge)	# huge: the nest nears 65535 bytes

    def value(self, v, name, k, sub, fam):
        if k == "nest":
            return [v | NLA_F_NESTED, self.nest(sub), None]
        if k == "array":
            # A huge array repeats a few items (shared: cheap to build).
            n = self.count()
            items = [[i | NLA_F_NESTED, self.nest(sub), None] for i in range(min(n, 16))]
            return [v | NLA_F_NESTED, [items[i % 16] for i in range(n)], None]
        return [v, self.leaf(name, k, fam), None]

    def request(self, cmd):
        """The attributes of a request for cmd: mostly those its paragraph
        of the header names, sometimes any."""
        r = self.r
        self.careful = r.random() < 0.6
        names = CMD_ATTRS.get(cmd, [])
        pool = ATTRS[TOP]
        if not names and self.careful:
            return []
        if names and r.random() < 0.85:
            pool = [a for a in pool if a[0] in names]
            pick = [a for a in pool if self.careful or r.random() < 0.6] or [r.choice(pool)]
        else:
            pick = [a for a in pool if r.random() < 0.15]
        fam = r.choice([AF4, AF6])
        return [self.value(v, name, k, sub, fam) for v, name, k, sub in pick]

    # Mutations of the tree.
    def nodes(self, tree, out=None):
        out = [] if out is None else out
        for i, n in enumerate(tree[:64]):	# the start of a huge array
            out.append((tree, i))
            if isinstance(n[1], list):
                self.nodes(n[1], out)
        return out

    def mutate(self, tree):
        r = self.r
        spots = self.nodes(tree)
        if not spots:
            tree.append([r.randrange(A_MAX + 3), self.rb(r.randrange(9)), None])
            return "random attribute"
        parent, i = r.choice(spots)
        n = parent[i]
        what = r.choice(["flip NLA_F_NESTED", "NLA_F_NET_BYTEORDER", "duplicate",
                         "drop", "retype", "wrong length", "nested garbage",
                         "length lie", "deep nesting", "leaf made a nest",
                         "random attribute"])
        if what == "flip NLA_F_NESTED":
            n[0] ^= NLA_F_NESTED
        elif what == "NLA_F_NET_BYTEORDER":
            n[0] ^= NLA_F_NET_BYTEORDER
        elif what == "duplicate":
            parent.insert(i, [n[0], n[1][:] if isinstance(n[1], list) else n[1], n[2]])
        elif what == "drop":
            del parent[i]
        elif what == "retype":
            n[0] = (n[0] & ~NLA_TYPE_MASK) | r.choice(
                [0, A_MAX, A_MAX + 1, 0x3fff, r.randrange(0x4000)])
        elif what == "wrong length":
            n[1] = self.rb(r.choice([0, 1, 2, 3, 5, 7, 8, 9, 15, 17, 32, 300]))
        elif what == "nested garbage":
            n[0] |= NLA_F_NESTED
            n[1] = self.rb(r.randrange(1, 64))
        elif what == "length lie":
            n[2] = r.choice([0, 1, 2, 3, 4, 5, 7, 0xffff, r.randrange(0x10000)])
        elif what == "deep nesting":
            for _ in range(r.randrange(2, 40)):
                n = [r.randrange(4) | NLA_F_NESTED, [n], None]
            parent[i] = n
        elif what == "leaf made a nest":
            n[0] |= NLA_F_NESTED
            n[1] = [[r.randrange(8), self.rb(r.randrange(9)), None]
                    for _ in range(r.randrange(1, 4))]
        else:
            parent.insert(i, [r.randrange(0x10000), self.rb(r.randrange(9)), None])
        return what


def encode(tree):
    out = b""
    for t, p, lie in tree:
        data = encode(p) if isinstance(p, list) else p
        ln = 4 + len(data)
        if ln > 0xffff:		# a huge array: keep what fits
            data, ln = data[:0xfff0], 0xfff4
        out += struct.pack("=HH", ln if lie is None else lie, t & 0xffff) + data \
            + bytes(-len(data) % 4)
    return out


class Violation(Exception):
    pass


class Fuzzer:
    def __init__(self, seed, root):
        self.r = random.Random(seed)
        # Without CAP_ACK each error echoes the request: smaller requests.
        self.gen = Gen(self.r, 1500 if root else 300)
        self.root = root
        self.g = Genl()		# resolves the family (allowed to anyone)
        self.family = self.g.family
        self.s = self.sock(cap_ack=root)
        self.port = self.s.getsockname()[0]
        self.seq = 1000
        self.errnos = {}
        self.mutations = {}
        self.sent = 0
        self.stats = None
        self.every = 500	# progress lines
        self.times = {}		# where the time goes: (count, seconds)

    def sock(self, cap_ack=True, rcvbuf=None):
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        if cap_ack:
            s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        if rcvbuf is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.bind((0, 0))
        s.settimeout(30)
        return s

    def fail(self, what, data=b""):
        raise Violation("%s (message %d)%s" % (what, self.sent,
                                                ": " + data[:64].hex() if data else ""))

    def nlmsg(self, typ, flags, seq, cmd, payload, version=1, reserved=0):
        body = struct.pack("=BBH", cmd, version, reserved) + payload
        return struct.pack("=IHHII", 16 + len(body), typ, flags, seq, 0) + body

    def count(self, what, table):
        table[what] = table.get(what, 0) + 1

    # One fuzz message.
    def one(self):
        r = self.r
        x = r.random()
        if x < 0.04:
            t0 = time.monotonic()
            self.dump_interrupted()
            self.spent("dump closed mid-way", time.monotonic() - t0)
            return
        cmd = r.choice(CMDS) if r.random() < 0.95 else r.choice([CMD_MAX + 1, 0x80, 0xff])
        t0 = time.monotonic()
        tree = self.gen.request(cmd)
        muts = r.choice([0, 0, 0, 1, 1, 2, 3])
        for _ in range(muts):
            self.count(self.gen.mutate(tree), self.mutations)
        payload = encode(tree)
        if r.random() < 0.05:
            payload = self.bytes_mutate(payload)
        flags = NLM_F_REQUEST | NLM_F_ACK
        if cmd in DUMP_OPS and r.random() < 0.9:
            flags |= NLM_F_DUMP
        version, reserved = 1, 0
        if r.random() < 0.08:
            flags = r.choice([flags & ~NLM_F_ACK, flags | NLM_F_DUMP, flags ^ 0x100,
                              flags ^ 0x200, flags | NLM_F_ECHO, flags & ~NLM_F_REQUEST,
                              r.getrandbits(16), flags | 0x800 | 0x400])
            self.count("bogus flags", self.mutations)
        if r.random() < 0.05:
            version, reserved = r.choice([0, 2, 255]), r.getrandbits(16)
            self.count("bogus genl header", self.mutations)
        typ = self.family if r.random() < 0.97 else r.choice([0, 1, 2, 3])
        msgs = []
        for _ in range(1 if r.random() < 0.9 else r.randrange(2, 5)):
            self.seq += 1
            msgs.append(self.nlmsg(typ, flags, self.seq, cmd, payload, version, reserved))
        data = b"".join(msgs)
        if r.random() < 0.06:
            data = self.header_lie(data)
        t1 = time.monotonic()
        self.exchange(data, cmd)
        self.spent("build", t1 - t0)
        self.spent(CMD_NAME.get(cmd, "cmd %d" % cmd), time.monotonic() - t1)

    def spent(self, what, dt):
        n, t = self.times.get(what, (0, 0.0))
        self.times[what] = (n + 1, t + dt)

    def bytes_mutate(self, p):
        r = self.r
        self.count("bytes flipped/truncated", self.mutations)
        p = bytearray(p)
        for _ in range(r.randrange(1, 8)):
            if p and r.random() < 0.7:
                p[r.randrange(len(p))] ^= 1 << r.randrange(8)
            else:
                p = p[:r.randrange(len(p) + 1)]
        return bytes(p)

    def header_lie(self, data):
        r = self.r
        what = r.choice(["truncated nlmsghdr", "truncated genl header",
                         "nlmsg_len short", "nlmsg_len long", "nlmsg_len 0"])
        self.count(what, self.mutations)
        d = bytearray(data)
        if what == "truncated nlmsghdr":
            return bytes(d[:r.randrange(1, 16)])
        if what == "truncated genl header":
            d = d[:r.randrange(16, 20)]
            struct.pack_into("=I", d, 0, len(d))
            return bytes(d)
        ln = struct.unpack_from("=I", d)[0]
        new = {"nlmsg_len short": r.randrange(0, ln + 1),
               "nlmsg_len long": ln + r.randrange(1, 200),
               "nlmsg_len 0": 0}[what]
        struct.pack_into("=I", d, 0, new)
        return bytes(d)

    def exchange(self, data, cmd):
        """Send data, then the fence; read and check every reply."""
        first = struct.unpack_from("=I", data, 8)[0] if len(data) >= 12 else None
        seqs = set(range(first, self.seq + 1)) if first is not None else set()
        try:
            self.s.send(data)
        except OSError as e:
            # Only the socket layer may refuse a datagram outright.
            if e.errno not in (errno.EINVAL, errno.EMSGSIZE):
                self.fail("send: %s" % e)
            self.count("send %s" % errno.errorcode[e.errno], self.errnos)
        self.sent += 1
        self.seq += 1
        fence = self.seq
        self.s.send(self.nlmsg(self.family, NLM_F_REQUEST | NLM_F_ACK, fence,
                               CMD["GET_CONFIG"], b""))
        self.collect(seqs, fence)

    def collect(self, seqs, fence):
        """Read until the fence's answer and the end of every dump started."""
        open_dumps, fence_done, fence_data = set(), False, 0
        while not fence_done or open_dumps:
            try:
                data, _, flags, _ = self.s.recvmsg(1 << 17)
            except socket.timeout:
                self.fail("no answer within 30 s (fence %s, dumps %s)" % (fence_done, open_dumps))
            except OSError as e:
                self.fail("recv: %s" % e)
            if flags & MSG_TRUNC:
                self.fail("a reply larger than 128 KiB")
            while data:
                if len(data) < 16:
                    self.fail("a reply shorter than a netlink header", data)
                ln, typ, fl, seq, port = struct.unpack_from("=IHHII", data)
                if ln < 16 or ln > len(data):
                    self.fail("nlmsg_len %d with %d bytes" % (ln, len(data)), data)
                msg, data = data[16:ln], data[(ln + 3) & ~3:]
                if port != self.port:
                    self.fail("a reply for port %d, not ours (%d)" % (port, self.port))
                if seq != fence and seq not in seqs:
                    self.fail("a reply with sequence %d, never sent" % seq)
                if typ == NLMSG_ERROR:
                    err = self.check_error(msg, fl, seq, fence)
                    if seq == fence:
                        fence_done = True
                        if err != (0 if self.root else -errno.EPERM):
                            self.fail("the fence (GET_CONFIG) got errno %d" % -err)
                    else:
                        open_dumps.discard(seq)
                elif typ == NLMSG_DONE:
                    if len(msg) < 4 or struct.unpack_from("=i", msg)[0] > 0:
                        self.fail("a bad NLMSG_DONE", msg)
                    err = struct.unpack_from("=i", msg)[0]
                    self.count("dump done" if not err else "dump %s" % errno.errorcode.get(-err, err),
                               self.errnos)
                    open_dumps.discard(seq)
                elif typ == self.family:
                    if not self.root:
                        self.fail("data for a user without CAP_NET_ADMIN", msg)
                    self.check_data(msg)
                    if seq == fence:
                        fence_data += 1
                    elif fl & NLM_F_MULTI:
                        open_dumps.add(seq)
                else:
                    self.fail("a reply of type %d" % typ, msg)
        if self.root and fence_data != 1:
            self.fail("the fence got %d replies, not 1" % fence_data)

    def check_error(self, msg, fl, seq, fence):
        if len(msg) < 20:
            self.fail("a short NLMSG_ERROR", msg)
        err = struct.unpack_from("=i", msg)[0]
        if err > 0 or err < -4095:
            self.fail("NLMSG_ERROR with error %d" % err)
        oln, otyp, ofl, oseq = struct.unpack_from("=IHHI", msg, 4)
        if oseq != seq:
            self.fail("an error echoing sequence %d under %d" % (oseq, seq))
        echo = msg[4:] if self.root else msg[4:4 + oln]
        tlv = msg[20:] if self.root else msg[4 + ((oln + 3) & ~3):]
        if fl & NLM_F_ACK_TLVS:
            self.wellformed(tlv, None, "extack")
        if seq == fence:
            return err
        self.count(errno.errorcode.get(-err, str(err)) if err else "ack", self.errnos)
        if self.root:
            if err == -errno.EPERM:
                self.fail("EPERM for root")
            return err
        # Without CAP_NET_ADMIN: what reached an operation fails with EPERM.
        # A command in a form the family has no handler for (a dump of a
        # do-only command, or the reverse) may fail first, with EOPNOTSUPP
        # (6.12 looks for the handler before the permission; 6.1 after).
        reached = (otyp == self.family and ofl & NLM_F_REQUEST and len(echo) >= 20
                   and echo[16] in OPS and oln >= 20 and self.genl_header_ok(echo))
        no_handler = reached and ((ofl & NLM_F_DUMP == NLM_F_DUMP) !=
                                  (echo[16] in DUMP_OPS))
        if reached and err != -errno.EPERM and not (
                no_handler and err == -errno.EOPNOTSUPP):
            self.fail("errno %d, not EPERM, for command %d as uid %d"
                      % (-err, echo[16], os.getuid()), echo)
        if err == 0 and otyp == self.family and ofl & NLM_F_REQUEST:
            self.fail("an unprivileged request succeeded", echo)
        return err

    @staticmethod
    def genl_header_ok(echo):
        """What genl_header_check() lets through to the permission check:
        reserved 0; of the flags, only REQUEST, ACK, ECHO and DUMP."""
        fl = struct.unpack_from("=H", echo, 6)[0]
        if fl & NLM_F_DUMP == NLM_F_DUMP:
            fl &= ~NLM_F_DUMP
        return (struct.unpack_from("=H", echo, 18)[0] == 0
                and not fl & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO))

    def wellformed(self, data, prefix, where):
        """Attributes fill data exactly; known ones have their type's size."""
        known = {v: (n, k, sub) for v, n, k, sub in ATTRS.get(prefix, [])}
        while data:
            if len(data) < 4:
                self.fail("%s: %d trailing bytes" % (where, len(data)))
            ln, t = struct.unpack_from("=HH", data)
            if ln < 4 or ln > len(data):
                self.fail("%s: attribute %d of length %d in %d bytes" % (where, t, ln, len(data)))
            val = data[4:ln]
            data = data[(ln + 3) & ~3:]
            if prefix is None:
                continue
            name, k, sub = known.get(t & NLA_TYPE_MASK, (None, None, None))
            if name is None:
                self.fail("%s: unknown attribute %d" % (where, t))
            elif k in SIZES and len(val) != SIZES[k]:
                self.fail("%s: %s of %d bytes" % (where, name, len(val)))
            elif k == "addr" and len(val) not in (4, 16):
                self.fail("%s: %s of %d bytes" % (where, name, len(val)))
            elif k == "nest":
                self.wellformed(val, sub, name)
            elif k == "array":
                self.wellformed_array(val, sub, name)

    def wellformed_array(self, data, sub, where):
        while data:
            ln, _ = struct.unpack_from("=HH", data) if len(data) >= 4 else (0, 0)
            if ln < 4 or ln > len(data):
                self.fail("%s: a bad array item" % where)
            self.wellformed(data[4:ln], sub, where + "[]")
            data = data[(ln + 3) & ~3:]

    def check_data(self, msg):
        if len(msg) < 4 or msg[0] not in OPS or msg[1] != U["ZTDNS_GENL_VERSION"]:
            self.fail("a reply with a bad genl header", msg)
        self.wellformed(msg[4:], TOP, CMD_NAME[msg[0]])

    def dump_interrupted(self):
        """A dump on a socket of its own, closed mid-dump, or read with a
        tiny buffer (its messages truncated) and a tiny receive queue."""
        r = self.r
        tiny = r.random() < 0.5
        s = self.sock(rcvbuf=r.choice([0, 1024, 4096]) if tiny else None)
        try:
            self.seq += 1
            s.send(self.nlmsg(self.family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
                              self.seq, CMD[r.choice(sorted(DUMPS))], b""))
            # Non-blocking: with a timeout Python would first wait for data.
            s.setblocking(False)
            for _ in range(r.randrange(4)):
                try:
                    data = s.recv(r.choice([1, 16, 64, 256]) if tiny else 1 << 16)
                except OSError:
                    break
                if len(data) >= 16 and struct.unpack_from("=I", data)[0] < 16:
                    self.fail("a dump message with nlmsg_len below 16", data)
        finally:
            s.close()
        self.sent += 1
        self.count("dump closed mid-way" + (" (tiny buffers)" if tiny else ""), self.mutations)

    # The state: its consistency, and what nobody may change.
    def request(self, cmd, payload=b"", dump=False):
        got = self.g.request(self.family, CMD[cmd], payload, NLM_F_DUMP if dump else 0)
        if isinstance(got, tuple):
            raise Violation("%s: %s" % (cmd, got))
        return got

    def config(self):
        cfg = parse_attrs(self.request("GET_CONFIG")[0][4:])
        out = {}
        for v, name, k, _ in ATTRS[TOP]:
            if v in cfg and k in SIZES:
                out[name[len(TOP):].lower()] = struct.unpack(FMT[k], cfg[v])[0]
        return out

    def counters(self):
        st = parse_attrs(parse_attrs(self.request("GET_STATS")[0][4:])[U["ZTDNS_A_STATS"]])
        out = {}
        for v, name, k, _ in ATTRS["ZTDNS_STATS_A_"]:
            if k == "pad":
                continue
            if v not in st:
                raise Violation("GET_STATS without %s" % name)
            out[name[len("ZTDNS_STATS_A_"):].lower()] = struct.unpack("=Q", st[v])[0]
        return out

    def check_counters(self):
        now = self.counters()
        if now["packets"] != now["permitted"] + now["audited"] + now["blocked"]:
            raise Violation("packets != permitted + audited + blocked: %s" % now)
        for k, v in (self.stats or {}).items():
            if now[k] < v:
                raise Violation("counter %s went down: %d -> %d" % (k, v, now[k]))
        self.stats = now

    def dump_list(self, cmd, outer):
        """The items of a dump, retried while NLM_F_DUMP_INTR says it was
        inconsistent."""
        for _ in range(20):
            self.g.seq += 1
            self.g.s.send(struct.pack("=IHHII", 20, self.family,
                                      NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, self.g.seq, 0)
                          + struct.pack("=BBH", CMD[cmd], 1, 0))
            items, intr, done = [], False, False
            while not done:
                data = self.g.s.recv(1 << 17)
                while data:
                    ln, typ, fl, _, _ = struct.unpack_from("=IHHII", data)
                    msg, data = data[16:ln], data[(ln + 3) & ~3:]
                    intr |= bool(fl & NLM_F_DUMP_INTR)
                    if typ in (NLMSG_DONE, NLMSG_ERROR):
                        err = struct.unpack_from("=i", msg)[0]
                        if err:
                            raise Violation("%s dump: errno %d" % (cmd, -err))
                        done = True
                    else:
                        a = parse_attrs(msg[4:]).get(U[outer], b"")
                        if outer == "ZTDNS_A_ENTRIES":
                            items += [bytes(parse_attrs(e)[U["ZTDNS_ENTRY_A_ADDR"]])
                                      for e in parse_attrs_list(a)]
                        else:
                            items.append(a)
            if not intr:
                return items
        raise Violation("%s: every dump interrupted" % cmd)

    def snapshot(self):
        cfg = self.config()
        # The kernel's own packets (MLD, NDP) move the packet counters.
        stats = {k: v for k, v in self.counters().items()
                 if k not in ("packets", "permitted", "audited", "blocked")}
        return "config %s stats %s entries %s subnets %s servers %s" % (
            sorted(cfg.items()), sorted(stats.items()),
            sorted(x.hex() for x in self.dump_list("GET_ENTRIES", "ZTDNS_A_ENTRIES")),
            sorted(x.hex() for x in self.dump_list("GET_SUBNETS", "ZTDNS_A_SUBNET")),
            sorted(x.hex() for x in self.dump_list("GET_SERVERS", "ZTDNS_A_SERVER")))

    def check(self):
        """The namespace's state is consistent and root's requests work."""
        cfg = self.config()
        bounds = dict(mode=U["ZTDNS_MODE_MAX"], log=U["ZTDNS_LOG_MAX"], grace=TTL_LIMIT,
                      max_ttl=TTL_LIMIT, allow_dhcp=1, allow_ndp=1)
        for k, hi in bounds.items():
            if cfg[k] > hi:
                raise Violation("GET_CONFIG %s = %d, beyond %d" % (k, cfg[k], hi))
        if cfg["min_ttl"] > cfg["max_ttl"]:
            raise Violation("min_ttl %d > max_ttl %d" % (cfg["min_ttl"], cfg["max_ttl"]))
        if cfg["num_entries"] > cfg["max_entries"]:
            raise Violation("%d entries, max_entries %d" % (cfg["num_entries"], cfg["max_entries"]))
        if os.stat("/proc/self/ns/net").st_ino == os.stat("/proc/1/ns/net").st_ino:
            self.check_params(cfg)
        for _ in range(10):	# the reaper may remove an entry in between
            n1 = self.config()["num_entries"]
            n = len(self.dump_list("GET_ENTRIES", "ZTDNS_A_ENTRIES"))
            n2 = self.config()["num_entries"]
            if n1 == n == n2:
                break
        else:
            raise Violation("num_entries %d..%d, the dump has %d" % (n1, n2, n))
        self.check_counters()
        self.valid_requests(cfg)
        print("check: %d entries match the dump; config %s; counters %s" % (
            n, cfg, self.stats))

    def check_params(self, cfg):
        names = {U["ZTDNS_MODE_" + m.upper()]: m for m in ("off", "audit", "enforce")}
        for k in ("mode", "grace", "min_ttl", "max_ttl", "log", "max_entries"):
            p = open("%s/%s" % (PARAMS, k)).read().strip()
            want = names[cfg[k]] if k == "mode" else str(cfg[k])
            if p != want:
                raise Violation("GET_CONFIG %s %s, the parameter says %s" % (k, want, p))

    def valid_requests(self, cfg):
        """Every kind of valid request still does what it says."""
        a = socket.inet_pton(AF4, "203.0.113.201")
        self.request("SET_CONFIG", u32(U["ZTDNS_A_MAX_TTL"], max(cfg["max_ttl"], 60)))
        self.request("ADD_ENTRIES", nest(U["ZTDNS_A_ENTRIES"], entry(AF4, a, 60)))
        if a not in self.dump_list("GET_ENTRIES", "ZTDNS_A_ENTRIES"):
            raise Violation("an added entry is not in the dump")
        self.request("DEL_ENTRIES", nest(U["ZTDNS_A_ENTRIES"], entry(AF4, a)))
        if a in self.dump_list("GET_ENTRIES", "ZTDNS_A_ENTRIES"):
            raise Violation("a deleted entry is still in the dump")
        sub = nest(U["ZTDNS_A_SUBNET"], u16(U["ZTDNS_SUBNET_A_FAMILY"], AF4),
                   attr(U["ZTDNS_SUBNET_A_ADDR"], socket.inet_pton(AF4, "203.0.113.0")),
                   u8(U["ZTDNS_SUBNET_A_PREFIX_LEN"], 25))
        n = len(self.dump_list("GET_SUBNETS", "ZTDNS_A_SUBNET"))
        self.request("ADD_SUBNET", sub)
        if len(self.dump_list("GET_SUBNETS", "ZTDNS_A_SUBNET")) != n + 1:
            raise Violation("an added subnet is not in the dump")
        self.request("DEL_SUBNET", sub)
        srv = nest(U["ZTDNS_A_SERVER"], u16(U["ZTDNS_SERVER_A_FAMILY"], AF4),
                   attr(U["ZTDNS_SERVER_A_ADDR"], a), u16(U["ZTDNS_SERVER_A_PORT"], 5353))
        n = len(self.dump_list("GET_SERVERS", "ZTDNS_A_SERVER"))
        self.request("ADD_SERVER", srv)
        if len(self.dump_list("GET_SERVERS", "ZTDNS_A_SERVER")) != n + 1:
            raise Violation("an added server is not in the dump")
        self.request("DEL_SERVER", srv)
        self.request("SET_CONFIG", u8(U["ZTDNS_A_LOG"], cfg["log"]) +
                     u32(U["ZTDNS_A_MAX_TTL"], cfg["max_ttl"]))
        if self.config()["max_ttl"] != cfg["max_ttl"]:
            raise Violation("SET_CONFIG max_ttl did not take")

    def run(self, count):
        if self.root:
            self.check_counters()
        t0 = time.monotonic()
        while self.sent < count:
            self.one()
            if self.root and self.sent % 1000 == 0:
                self.check_counters()
            if self.sent % self.every == 0:
                print("%d messages, %.0f/s" % (self.sent, self.sent / (time.monotonic() - t0)),
                      flush=True)
        dt = time.monotonic() - t0
        print("%d messages in %.1f s: %.0f per second, as uid %d" % (
            self.sent, dt, self.sent / dt, os.getuid()))
        print("answers: %s" % ", ".join("%s %d" % kv for kv in sorted(self.errnos.items())))
        print("mutations: %s" % ", ".join("%s %d" % kv for kv in sorted(self.mutations.items())))
        print("time: %s" % ", ".join("%s %d x %.1f ms" % (k, n, 1000 * t / n) for k, (n, t) in
                                      sorted(self.times.items(), key=lambda kv: -kv[1][1])))


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    opts = dict(zip(argv[2::2], argv[3::2]))
    seed = int(opts.get("--seed", random.SystemRandom().getrandbits(32)))
    count = int(opts.get("--count", 1000))
    try:
        if mode in ("fuzz", "unpriv"):
            print("genlfuzz %s: seed %d, %d messages (reproduce: genlfuzz.py %s --seed %d"
                  " --count %d)" % (mode, seed, count, mode, seed, count), flush=True)
            f = Fuzzer(seed, mode == "fuzz")
            f.run(count)
            if mode == "fuzz":
                f.check()
        elif mode == "check":
            Fuzzer(0, True).check()
        elif mode == "snapshot":
            print(Fuzzer(0, True).snapshot())
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Violation as e:
        print("VIOLATION: %s (seed %d)" % (e, seed), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
