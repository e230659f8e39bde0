#!/usr/bin/env python3
"""A raw generic netlink client for the ztdns family, to send what the CLI
never would: malformed requests and requests from unprivileged users.

  ztnl.py malformed     every malformed request must be refused with the
                        expected errno and an extack message, and change
                        nothing; prints one line per case
  ztnl.py privilege     every command, as the current user, must fail with
                        EPERM, and so must joining the "events" group;
                        prints one line per command
  ztnl.py events-join   joining the "events" group must succeed
Exit status 0 when every case went as expected, 1 otherwise.
"""
import errno
import os
import re
import socket
import struct
import sys

NETLINK_GENERIC = 16
NETLINK_EXT_ACK = 11
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000
GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 16, 3, 1, 2
CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 7, 1, 2
SOL_NETLINK, NETLINK_ADD_MEMBERSHIP = 270, 1

UAPI = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "../../uapi/linux/ztdns.h")


def uapi(path=UAPI):
    """The names of uapi/linux/ztdns.h, read from the header itself so that
    a new command or attribute reaches every test at once: (values, notes,
    enums, doc).  values maps each enumerator and numeric #define to its
    value; notes maps an enumerator to the comment on its line (its type:
    "u8, ...", "u32", "4 or 16 bytes", "nested ZTDNS_SUBNET_A_*"); enums
    maps an enum's name to its enumerators in order; doc is the top comment."""
    text = open(path).read()
    values, notes, enums = {}, {}, {}
    for name, body in re.findall(r"enum (\w+) \{(.*?)\};", text, re.S):
        enums[name], v = [], -1
        for line in body.splitlines():
            m = re.match(r"\s*(\w+)(?:\s*=\s*(\w+))?,?\s*(?:/\*\s*(.*?)\s*\*/)?\s*$", line)
            if not m or not m.group(1):
                continue
            v = int(m.group(2), 0) if m.group(2) else v + 1
            values[m.group(1)] = v
            notes[m.group(1)] = m.group(3) or ""
            enums[name].append(m.group(1))
    for name, expr in re.findall(r"#define (\w+) (\(?__\w+ - 1\)?|\d+)\s", text):
        values[name] = eval(expr, {}, dict(values))
    doc = text[text.index("/*", text.index("*/")):text.index("#ifndef")]
    return values, notes, enums, doc


U, NOTES, ENUMS, DOC = uapi()
# The commands a user sends: not UNSPEC, not the multicast-only EVENT.
CMD = {n[len("ZTDNS_CMD_"):]: U[n] for n in ENUMS["ztdns_cmd"]
       if not n.startswith("__") and n not in ("ZTDNS_CMD_UNSPEC", "ZTDNS_CMD_EVENT")}
DUMPS = {"GET_ENTRIES", "GET_SUBNETS", "GET_SERVERS"}
A_MODE, A_GRACE, A_MIN_TTL, A_MAX_TTL, A_LOG = (
    U["ZTDNS_A_" + n] for n in ("MODE", "GRACE", "MIN_TTL", "MAX_TTL", "LOG"))
A_NUM_ENTRIES, A_ENTRIES, A_SUBNET, A_SERVER = (
    U["ZTDNS_A_" + n] for n in ("NUM_ENTRIES", "ENTRIES", "SUBNET", "SERVER"))
E_FAMILY, E_ADDR, E_TTL = (U["ZTDNS_ENTRY_A_" + n] for n in ("FAMILY", "ADDR", "TTL"))
S_FAMILY, S_ADDR, S_PREFIX = (
    U["ZTDNS_SUBNET_A_" + n] for n in ("FAMILY", "ADDR", "PREFIX_LEN"))
V_FAMILY, V_ADDR, V_PORT = (U["ZTDNS_SERVER_A_" + n] for n in ("FAMILY", "ADDR", "PORT"))

def attr(t, data):
    return struct.pack("=HH", 4 + len(data), t) + data + bytes(-len(data) % 4)


def nest(t, *attrs):
    return attr(t | NLA_F_NESTED, b"".join(attrs))


def u8(t, v):
    return attr(t, struct.pack("=B", v))


def u16(t, v):
    return attr(t, struct.pack("=H", v))


def u32(t, v):
    return attr(t, struct.pack("=I", v))


def parse_attrs(data):
    out = {}
    while len(data) >= 4:
        ln, t = struct.unpack("=HH", data[:4])
        if ln < 4:
            break
        out[t & 0x3fff] = data[4:ln]
        data = data[(ln + 3) & ~3:]
    return out


def parse_attrs_list(data):
    """The attributes of an array nest, in order (parse_attrs keeps one
    per type)."""
    out = []
    while len(data) >= 4:
        ln = struct.unpack_from("=H", data)[0]
        if ln < 4:
            break
        out.append(data[4:ln])
        data = data[(ln + 3) & ~3:]
    return out


class Genl:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.s.setsockopt(270, NETLINK_EXT_ACK, 1)  # SOL_NETLINK
        self.s.setsockopt(270, 10, 1)  # NETLINK_CAP_ACK: no echoed request
        self.seq = 0
        msgs = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                            attr(CTRL_ATTR_FAMILY_NAME, b"ztdns\0"))
        if isinstance(msgs, int):
            raise SystemExit("ztdns family not found: errno %d" % msgs)
        fam = parse_attrs(msgs[0][4:])
        self.family = struct.unpack("=H", fam[CTRL_ATTR_FAMILY_ID])[0]
        self.groups = {}
        for grp in parse_attrs(fam.get(CTRL_ATTR_MCAST_GROUPS, b"")).values():
            g = parse_attrs(grp)
            self.groups[g[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()] = \
                struct.unpack("=I", g[CTRL_ATTR_MCAST_GRP_ID])[0]

    def join(self, name):
        """0, or the errno of joining the multicast group."""
        try:
            self.s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, self.groups[name])
        except OSError as e:
            return e.errno
        return 0

    def request(self, family, cmd, payload=b"", flags=0):
        """Returns the list of reply payloads, or (errno, extack message)."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        self.s.send(struct.pack("=IHHII", 16 + len(body), family,
                                NLM_F_REQUEST | NLM_F_ACK | flags, self.seq, 0) + body)
        replies = []
        while True:
            data = self.s.recv(1 << 20)
            while data:
                ln, typ, fl, seq, _ = struct.unpack("=IHHII", data[:16])
                msg = data[16:ln]
                data = data[(ln + 3) & ~3:]
                if typ == NLMSG_ERROR:
                    err = -struct.unpack("=i", msg[:4])[0]
                    if not err:
                        return replies
                    # capped ack: error, echoed header (16), then TLVs
                    tlv = parse_attrs(msg[20:])
                    text = tlv.get(1, b"").rstrip(b"\0").decode()
                    return (err, text)
                if typ == NLMSG_DONE:
                    err = -struct.unpack("=i", msg[:4])[0] if len(msg) >= 4 else 0
                    return (err, "") if err else replies
                replies.append(msg)

    def ztdns(self, name, payload=b""):
        return self.request(self.family, CMD[name], payload,
                            NLM_F_DUMP if name in DUMPS else 0)


def entry(fam, addr, ttl=None):
    a = [u16(E_FAMILY, fam), attr(E_ADDR, addr)]
    if ttl is not None:
        a.append(u32(E_TTL, ttl))
    return nest(0, *a)


V4 = socket.inet_pton(socket.AF_INET, "192.0.2.7")
V6 = socket.inet_pton(socket.AF_INET6, "2001:db8::7")
AF4, AF6 = socket.AF_INET, socket.AF_INET6

# (name, command, payload, errno, words the extack message must contain)
MALFORMED = [
    ("short IPv4 address", "ADD_ENTRIES",
     nest(A_ENTRIES, entry(AF4, V4[:3], 60)), errno.ERANGE, "size out of range"),
    ("IPv6 address given as IPv4", "ADD_ENTRIES",
     nest(A_ENTRIES, entry(AF4, V6, 60)), errno.EINVAL, "length does not match"),
    ("IPv4 address given as IPv6", "ADD_ENTRIES",
     nest(A_ENTRIES, entry(AF6, V4, 60)), errno.EINVAL, "length does not match"),
    ("unknown family", "ADD_ENTRIES",
     nest(A_ENTRIES, entry(99, V4, 60)), errno.EAFNOSUPPORT, "unknown address family"),
    ("entry without TTL", "ADD_ENTRIES",
     nest(A_ENTRIES, entry(AF4, V4)), errno.EINVAL, "without TTL"),
    ("TTL beyond a week", "ADD_ENTRIES",
     nest(A_ENTRIES, entry(AF4, V4, 10**7)), errno.ERANGE, "range"),
    ("no entries", "ADD_ENTRIES", b"", errno.EINVAL, "no entries"),
    ("one bad entry spoils the batch", "ADD_ENTRIES",
     nest(A_ENTRIES, entry(AF4, V4, 60), entry(AF4, V4[:2], 60)), errno.ERANGE,
     "size out of range"),
    ("unknown attribute", "ADD_ENTRIES",
     nest(A_ENTRIES, entry(AF4, V4, 60)) + u32(200, 1), errno.EINVAL, "Unknown attribute"),
    ("unknown attribute in an entry", "ADD_ENTRIES",
     nest(A_ENTRIES, nest(0, u16(E_FAMILY, AF4), attr(E_ADDR, V4),
                          u32(E_TTL, 60), u32(30, 1))), errno.EINVAL, "Unknown attribute"),
    ("IPv4 prefix beyond 32", "ADD_SUBNET",
     nest(A_SUBNET, u16(S_FAMILY, AF4), attr(S_ADDR, V4), u8(S_PREFIX, 33)),
     errno.EINVAL, "prefix length beyond"),
    ("IPv6 prefix beyond 128", "ADD_SUBNET",
     nest(A_SUBNET, u16(S_FAMILY, AF6), attr(S_ADDR, V6), u8(S_PREFIX, 129)),
     errno.ERANGE, "range"),
    ("subnet host bits set", "ADD_SUBNET",
     nest(A_SUBNET, u16(S_FAMILY, AF4), attr(S_ADDR, V4), u8(S_PREFIX, 24)),
     errno.EINVAL, "host bits"),
    ("subnet without prefix length", "ADD_SUBNET",
     nest(A_SUBNET, u16(S_FAMILY, AF4), attr(S_ADDR, V4)), errno.EINVAL, "prefix length"),
    ("subnet of unknown family", "ADD_SUBNET",
     nest(A_SUBNET, u16(S_FAMILY, 7), attr(S_ADDR, V4), u8(S_PREFIX, 32)),
     errno.EAFNOSUPPORT, "unknown address family"),
    ("server port 0", "ADD_SERVER",
     nest(A_SERVER, u16(V_FAMILY, AF4), attr(V_ADDR, V4), u16(V_PORT, 0)),
     errno.ERANGE, "range"),
    ("server with a short address", "ADD_SERVER",
     nest(A_SERVER, u16(V_FAMILY, AF6), attr(V_ADDR, V6[:15]), u16(V_PORT, 853)),
     errno.EINVAL, "length does not match"),
    ("mode beyond enforce", "SET_CONFIG", u8(A_MODE, 3), errno.ERANGE, "range"),
    ("log level 3", "SET_CONFIG", u8(A_LOG, 3), errno.ERANGE, "range"),
    ("min_ttl above max_ttl", "SET_CONFIG",
     u32(A_MIN_TTL, 100) + u32(A_MAX_TTL, 50), errno.EINVAL, "min_ttl"),
    ("read-only attribute", "SET_CONFIG", u32(A_NUM_ENTRIES, 5), errno.EINVAL, ""),
    ("attributes on a get", "GET_CONFIG", u8(A_MODE, 1), errno.EINVAL, ""),
]


def state(g):
    """Everything a rejected request must leave unchanged."""
    cfg = parse_attrs(g.ztdns("GET_CONFIG")[0][4:])
    return (sorted(cfg.items()), len(g.ztdns("GET_ENTRIES")),
            len(g.ztdns("GET_SUBNETS")), len(g.ztdns("GET_SERVERS")))


def malformed():
    g = Genl()
    before = state(g)
    bad = 0
    for name, cmd, payload, want, words in MALFORMED:
        got = g.ztdns(cmd, payload)
        ok = (isinstance(got, tuple) and got[0] == want and words in got[1]
              and (got[1] or not words))
        print("%s %s: %s" % ("ok" if ok else "WRONG", name,
                             got if isinstance(got, tuple) else "accepted"))
        bad += not ok
    after = state(g)
    if after != before:
        print("WRONG: the state changed:", before, after)
        bad += 1
    return 1 if bad else 0


def privilege():
    g = Genl()
    bad = 0
    for name in CMD:
        got = g.ztdns(name, b"")
        ok = isinstance(got, tuple) and got[0] == errno.EPERM
        print("%s %s as uid %d: %s" % ("ok" if ok else "WRONG", name, os.getuid(), got))
        bad += not ok
    got = g.join("events")
    ok = got == errno.EPERM
    print("%s joining events as uid %d: errno %d" % ("ok" if ok else "WRONG", os.getuid(), got))
    bad += not ok
    return 1 if bad else 0


def events_join():
    got = Genl().join("events")
    print("%s joining events as uid %d: errno %d" % ("ok" if not got else "WRONG",
                                                    os.getuid(), got))
    return 1 if got else 0


if __name__ == "__main__":
    sys.exit({"malformed": malformed, "privilege": privilege,
              "events-join": events_join}[sys.argv[1]]())
