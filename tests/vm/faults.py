#!/usr/bin/env python3
"""Systematic fault injection (Documentation/fault-injection/, fail-nth):
fail the 1st, 2nd, 3rd... allocation of one operation until it runs without
reaching the injected fault, and check after each injected failure that the
operation failed cleanly and left the state exactly as it was.

  faults.py add-entries       ADD_ENTRIES, a batch of IPv4 and IPv6 addresses
  faults.py add-entries-again ADD_ENTRIES extending 4 present addresses and
                              adding 4
  faults.py dump              a GET_ENTRIES dump (several messages)
  faults.py add-subnet        ADD_SUBNET
  faults.py add-server        ADD_SERVER
  faults.py set-mode          SET_CONFIG mode enforce (the namespace is off)
  faults.py netns             unshare(CLONE_NEWNET), in a child per attempt
  faults.py load KO PARAMS    finit_module(KO, PARAMS); the module is not
                              loaded before and is removed after a success
  faults.py fill N            (no injection) add N addresses, half IPv6

The netlink operations act on the caller's network namespace.  Faults are
set through /proc/thread-self/fail-nth, which counts the allocations of
this thread that failslab and fail_page_alloc see (the caller configures
them in debugfs).  Prints one summary line per walk; exit status 0 when
every injected failure went as expected, 1 otherwise.
"""
import ctypes
import errno
import os
import socket
import struct
import sys
import time
import zlib

sys.dont_write_bytecode = True
import ztnl  # noqa: E402
from ztnl import (A_ENTRIES, A_SERVER, A_SUBNET, AF4, AF6,  # noqa: E402
                  NLMSG_DONE, NLMSG_ERROR, E_ADDR, E_FAMILY, nest, attr, u8,
                  u16, parse_attrs, entry)

FAIL_NTH = "/proc/thread-self/fail-nth"
LIMIT = 5000            # a walk longer than this is a runaway
CLEAN = {errno.ENOMEM, errno.ENOBUFS}
A_MODE = ztnl.A_MODE
A_STATS = 13
E_EXPIRES, E_IDLE = (ztnl.U["ZTDNS_ENTRY_A_" + n] for n in ("EXPIRES_MS", "IDLE_MS"))

libc = ctypes.CDLL(None, use_errno=True)
SYS_FINIT_MODULE, SYS_DELETE_MODULE = 313, 176
CLONE_NEWNET = 0x40000000


def addr4(i):
    return struct.pack("!I", 0xc6336400 + i)        # 198.51.100.0 + i


def addr6(i):
    return socket.inet_pton(AF6, "2001:db8:f::")[:12] + struct.pack("!I", i)


def entries(first, n, ttl=86400):
    """n entries from index first: alternately IPv4 and IPv6."""
    return [entry(AF4, addr4(first + i // 2), ttl) if i % 2 == 0
            else entry(AF6, addr6(first + i // 2), ttl) for i in range(n)]


def batch(first, n, ttl=86400):
    return nest(A_ENTRIES, *entries(first, n, ttl))


def entries_of(replies, detail=False):
    """The (family, address) of each entry; with detail, whether it has more
    than an hour left and whether it carried a packet (what a re-add that
    failed must leave as it was)."""
    out = []
    for msg in replies:
        for e in ztnl.parse_attrs_list(parse_attrs(msg[4:]).get(A_ENTRIES, b"")):
            e = parse_attrs(e)
            if detail:
                left = struct.unpack("=Q", e[E_EXPIRES])[0]
                out.append((e[E_FAMILY], e[E_ADDR], left > 3600 * 1000,
                            E_IDLE in e))
            else:
                out.append((e[E_FAMILY], e[E_ADDR]))
    return sorted(out)


def snapshot(g):
    """Everything a failed request must leave as it was."""
    def ok(r):
        if isinstance(r, tuple):
            raise SystemExit("snapshot: request failed: %r" % (r,))
        return r
    cfg = parse_attrs(ok(g.ztdns("GET_CONFIG"))[0][4:])
    stats = parse_attrs(parse_attrs(ok(g.ztdns("GET_STATS"))[0][4:])[A_STATS])
    return dict(config=sorted(cfg.items()),
                entries=entries_of(ok(g.ztdns("GET_ENTRIES")), True),
                subnets=sorted(ok(g.ztdns("GET_SUBNETS"))),
                servers=sorted(ok(g.ztdns("GET_SERVERS"))),
                stats=sorted(stats.items()))


def core(s):
    """A snapshot without the counters, which a success moves for good."""
    return {k: v for k, v in s.items() if k != "stats"}


def diff(a, b):
    """What differs between two snapshots, briefly."""
    out = []
    for k in a:
        if a[k] == b[k]:
            continue
        if k in ("config", "stats"):
            da, db = dict(a[k]), dict(b[k])
            out.append("%s %s" % (k, ", ".join(
                "%d: %s -> %s" % (t, da.get(t, b"").hex(), db.get(t, b"").hex())
                for t in sorted(set(da) | set(db)) if da.get(t) != db.get(t))))
        else:
            out.append("%s: %d -> %d" % (k, len(a[k]), len(b[k])))
    return "; ".join(out)


class FailNth:
    """The thread's fail-nth file: arm(n) makes the n-th allocation fail;
    disarm() says whether the fault was injected and stops counting."""

    nums = [b"%d" % n for n in range(LIMIT + 2)]

    def __init__(self):
        self.fd = os.open(FAIL_NTH, os.O_RDWR)

    def arm(self, n):
        os.write(self.fd, self.nums[n])

    def disarm(self):
        left = int(os.pread(self.fd, 32, 0))
        os.write(self.fd, b"0")
        return left == 0


class Attempt:
    """One netlink request on a fresh socket.  run() does nothing but the
    system calls; the replies land in a buffer allocated (and touched)
    beforehand, and are parsed after the fault is disarmed."""

    buf = bytearray(b"\1" * (1 << 22))

    def __init__(self, family, cmd, payload, dump=False):
        flags = ztnl.NLM_F_REQUEST | ztnl.NLM_F_ACK | (ztnl.NLM_F_DUMP if dump else 0)
        body = struct.pack("=BBH", ztnl.CMD[cmd], 1, 0) + payload
        self.msg = struct.pack("=IHHII", 16 + len(body), family, flags, 1, 0) + body
        self.dump = dump
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                               ztnl.NETLINK_GENERIC)
        self.s.setsockopt(270, ztnl.NETLINK_EXT_ACK, 1)
        self.s.setsockopt(270, 10, 1)
        self.s.settimeout(20)
        self.view = memoryview(self.buf)
        self.len = 0
        self.err = None

    def _done(self, start):
        """Whether the messages from start end the reply (DONE or ERROR)."""
        off = start
        while off + 16 <= self.len:
            ln, typ = struct.unpack_from("=IH", self.buf, off)
            if typ in (NLMSG_DONE, NLMSG_ERROR) or ln < 16:
                return True
            off += (ln + 3) & ~3
        return False

    def run(self):
        try:
            self.s.send(self.msg)
            while True:
                # 4 KiB reads: a dump then needs several messages.
                k = self.s.recv_into(self.view[self.len:], 4096)
                start, self.len = self.len, self.len + k
                if self._done(start):
                    break
        except OSError as e:
            self.err = e.errno or errno.ETIMEDOUT
        self.s.close()

    def result(self):
        """0, an errno from the kernel or the socket, and the replies."""
        if self.err:
            return self.err, []
        data, replies = bytes(self.buf[:self.len]), []
        while data:
            ln, typ = struct.unpack("=IH", data[:6])
            msg = data[16:ln]
            data = data[(ln + 3) & ~3:]
            if typ in (NLMSG_ERROR, NLMSG_DONE):
                return -struct.unpack("=i", msg[:4])[0] if len(msg) >= 4 else 0, replies
            replies.append(msg)
        return errno.EPROTO, replies


class Walk:
    def __init__(self, name):
        self.name = name
        self.sites = 0          # injected faults that made the operation fail
        self.absorbed = 0       # injected faults the operation survived
        self.lost = 0           # failed reply, change made (and undone)
        self.errnos = {}
        self.bad = 0

    def wrong(self, n, what):
        print("WRONG %s: N=%d: %s" % (self.name, n, what), flush=True)
        self.bad += 1

    def summary(self, last, end="success at"):
        print("walk %s: %d sites failed the operation, %d faults absorbed, "
              "%d lost replies, errors %s, %s N=%d" %
              (self.name, self.sites, self.absorbed, self.lost,
               {errno.errorcode.get(e, e): c for e, c in sorted(self.errnos.items())},
               end, last), flush=True)
        return 1 if self.bad else 0


def walk_netlink(name, cmd, payload, undo, dump=False):
    """Walk a netlink operation; undo (a list of (cmd, payload)) reverts a
    success."""
    g = ztnl.Genl()
    fn = FailNth()
    w = Walk(name)
    before = snapshot(g)
    # The state a success leaves, from one run without a fault.
    a = Attempt(g.family, cmd, payload, dump)
    a.run()
    err, replies = a.result()
    if err:
        raise SystemExit("%s: fails without a fault: %s" % (name, os.strerror(err)))
    after = core(snapshot(g))
    full = entries_of(replies) if dump else None

    def revert():
        """Undo a success; returns the new baseline (counters moved)."""
        for c, p in undo:
            r = g.ztdns(c, p)
            if isinstance(r, tuple):
                raise SystemExit("%s: undo %s failed: %r" % (name, c, r))
        now = snapshot(g)
        if core(now) != core(before):
            raise SystemExit("%s: undo left %s" % (name, diff(before, now)))
        return now
    before = revert()

    for n in range(1, LIMIT + 1):
        a = Attempt(g.family, cmd, payload, dump)
        fn.arm(n)
        a.run()
        injected = fn.disarm()
        err, replies = a.result()
        now = snapshot(g)
        if not injected:
            if err:
                w.wrong(n, "failed without an injected fault: %s" % os.strerror(err))
            elif core(now) != after:
                w.wrong(n, "success left %s" % diff(after, core(now)))
            elif dump and entries_of(replies) != full:
                w.wrong(n, "dump incomplete")
            revert()
            return w.summary(n)
        if not err:
            w.absorbed += 1
            if core(now) != after:
                w.wrong(n, "success after an absorbed fault left %s"
                        % diff(after, core(now)))
            if dump and entries_of(replies) != full:
                w.wrong(n, "a dump that succeeded is incomplete: %d of %d entries"
                        % (len(entries_of(replies)), len(full)))
            before = revert()
            continue
        w.sites += 1
        w.errnos[err] = w.errnos.get(err, 0) + 1
        if err not in CLEAN:
            w.wrong(n, "unexpected error %s" % os.strerror(err))
        if now == before:
            continue
        # The reply (ack) itself could not be allocated: the change is
        # made but the socket only learns ENOBUFS.  Nothing partial.
        if err == errno.ENOBUFS and core(now) == after:
            w.lost += 1
            before = revert()
            continue
        w.wrong(n, "%s, and the state changed: %s" % (os.strerror(err), diff(before, now)))
        before = revert()
    w.wrong(LIMIT, "no end")
    return w.summary(LIMIT)


def walk_fresh(name, cmd, payload):
    """Walk a netlink operation on a namespace that was never set up: each
    attempt in a child of its own, in a new namespace (the first change
    that leaves mode off, or the first entry, sets a namespace up, and it
    stays set up).  A failure must leave it as new; no module reference may
    stay once the namespace is gone."""
    w = Walk(name + " (a new namespace each time)")
    base = refcnt()

    def attempt(n):
        r, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            res = (errno.EIO, 0, 0, 0)
            try:
                if libc.unshare(CLONE_NEWNET):
                    raise OSError(ctypes.get_errno(), "unshare")
                g = ztnl.Genl()
                fresh = core(snapshot(g))
                a = Attempt(g.family, cmd, payload, False)
                fn = FailNth()
                if n:
                    fn.arm(n)
                a.run()
                injected = fn.disarm() if n else 0
                err, _ = a.result()
                now = core(snapshot(g))
                res = (err, injected, now == fresh,
                       zlib.crc32(repr(sorted(now.items())).encode()))
            finally:
                os.write(wfd, struct.pack("=iiiI", *res))
                os._exit(0)
        os.close(wfd)
        res = struct.unpack("=iiiI", os.read(r, 16))
        os.close(r)
        os.waitpid(pid, 0)
        if not wait_for(lambda: refcnt() == base, "N=%d: module references stay" % n):
            w.bad += 1
        return res

    err, _, _, done = attempt(0)
    if err:
        raise SystemExit("%s: fails without a fault: %s" % (name, os.strerror(err)))
    for n in range(1, LIMIT + 1):
        err, injected, unchanged, state = attempt(n)
        if not injected:
            if err or state != done:
                w.wrong(n, "no fault, yet %s" % (os.strerror(err) if err else "another state"))
            return w.summary(n)
        if not err:
            w.absorbed += 1
            if state != done:
                w.wrong(n, "success after an absorbed fault left another state")
            continue
        w.sites += 1
        w.errnos[err] = w.errnos.get(err, 0) + 1
        if err not in CLEAN:
            w.wrong(n, "unexpected error %s" % os.strerror(err))
        if unchanged:
            continue
        if err == errno.ENOBUFS and state == done:
            w.lost += 1
            continue
        w.wrong(n, "%s, and the new namespace changed" % os.strerror(err))
    w.wrong(LIMIT, "no end")
    return w.summary(LIMIT)


def refcnt():
    with open("/sys/module/ztdns/refcnt") as f:
        return int(f.read())


def wait_for(cond, what, secs=30):
    for _ in range(secs * 10):
        if cond():
            return True
        time.sleep(0.1)
    print("WRONG: %s" % what, flush=True)
    return False


def unshare_nth(n):
    """unshare(CLONE_NEWNET) in a child whose n-th allocation fails:
    (return value, errno, injected, allocations made when n was not
    reached)."""
    r, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        fd = os.open(FAIL_NTH, os.O_RDWR)
        os.write(fd, b"%d" % n)
        ret = libc.unshare(CLONE_NEWNET)
        e = ctypes.get_errno()
        left = int(os.pread(fd, 32, 0))
        os.write(fd, b"0")
        os.write(wfd, struct.pack("=iiii", ret, e, left == 0, n - left))
        os._exit(0)
    os.close(wfd)
    out = struct.unpack("=iiii", os.read(r, 16))
    os.close(r)
    os.waitpid(pid, 0)
    return out


def walk_netns():
    """unshare(CLONE_NEWNET) in a child; a failure must leave no module
    reference (netns_mode=enforce pins the module) behind.  Any errno is
    clean here: every subsystem's pernet init fails in its own way.  A
    namespace takes well over a thousand allocations, most not ztdns's,
    whose ->init, registered last, makes the last ones:
    ZTDNS_FAULTS_NETNS=N walks the first N and the last N (make check:
    60), 0 all."""
    w = Walk("netns (netns_mode %s)" % open("/sys/module/ztdns/parameters/netns_mode").read().strip())
    base = refcnt()
    limit = int(os.environ.get("ZTDNS_FAULTS_NETNS") or "60") or LIMIT
    steps = range(1, limit + 1)
    if limit != LIMIT:
        # How many a namespace makes varies a little: the fewest seen.
        total = min(unshare_nth(10 ** 6)[3] for _ in range(3))
        if not wait_for(lambda: refcnt() == base, "module references stay"):
            w.bad += 1
        steps = list(steps) + list(range(max(limit + 1, total - limit + 1),
                                         total + 2 * limit))
    for n in steps:
        ret, e, injected, _ = unshare_nth(n)
        if not injected:
            if ret:
                w.wrong(n, "failed without an injected fault: %s" % os.strerror(e))
            if not wait_for(lambda: refcnt() == base, "module references stay"):
                w.bad += 1
            return w.summary(n)
        if ret == 0:
            w.absorbed += 1
            if not wait_for(lambda: refcnt() == base, "module references stay"):
                w.bad += 1
            continue
        w.sites += 1
        w.errnos[e] = w.errnos.get(e, 0) + 1
        # A failed unshare undoes what it set up (a namespace it made
        # whole goes later, as any does): no reference may stay.
        if refcnt() != base and not wait_for(lambda: refcnt() == base,
                                             "N=%d: module references stay" % n):
            w.bad += 1
    w.wrong(steps[-1], "no end")
    return w.summary(steps[-1])


def finit(fd, params):
    ret = libc.syscall(SYS_FINIT_MODULE, fd, params, 0)
    return ctypes.get_errno() if ret else 0


def unload():
    if not os.path.exists("/sys/module/ztdns"):
        return
    with open("/sys/module/ztdns/parameters/mode", "w") as f:
        f.write("off")
    with open("/sys/module/ztdns/parameters/netns_mode", "w") as f:
        f.write("off")
    for _ in range(300):
        if libc.syscall(SYS_DELETE_MODULE, b"ztdns", os.O_NONBLOCK) == 0:
            return
        time.sleep(0.1)
    raise SystemExit("rmmod ztdns: %s" % os.strerror(ctypes.get_errno()))


def allocations(fn, run):
    """How many allocations run() makes: fail-nth counts down from a large
    number."""
    big = 1000000
    os.write(fn.fd, b"%d" % big)
    run()
    left = int(os.pread(fn.fd, 32, 0))
    os.write(fn.fd, b"0")
    return big - left


def walk_load(ko, params):
    """finit_module with parameters.  The loader's own allocations come
    first (reading the file, vmalloc, relocation: not ours, and vmalloc
    failures print allocation warnings); the walk starts at the module's
    first: dhcp_servers= is parsed first, and its setter allocates."""
    params = b"dhcp_servers=192.0.2.67 " + params.encode()
    w = Walk("module load")
    fn = FailNth()
    fd = os.open(ko, os.O_RDONLY)
    unload()
    # A load whose dhcp_servers= is refused after its allocation ends
    # there: its count is the position of the setter's allocation.
    bogus = b"dhcp_servers=bogus " + params
    first = allocations(fn, lambda: finit(fd, bogus))
    if os.path.exists("/sys/module/ztdns"):
        raise SystemExit("a refused dhcp_servers= loaded the module")
    total = allocations(fn, lambda: finit(fd, params))
    if not os.path.exists("/sys/module/ztdns"):
        raise SystemExit("the module does not load without a fault")
    g = ztnl.Genl()
    want = snapshot(g)
    del g
    unload()
    print("module load: %d allocations in all, the module's from about %d"
          % (total, first), flush=True)
    start = max(1, first - 2)
    for n in range(start, LIMIT + 1):
        fn.arm(n)
        err = finit(fd, params)
        injected = fn.disarm()
        loaded = os.path.exists("/sys/module/ztdns")
        if not injected or not err:
            if err:
                w.wrong(n, "failed without an injected fault: %s" % os.strerror(err))
            elif not loaded:
                w.wrong(n, "finit_module succeeded, no module")
            else:
                got = snapshot(ztnl.Genl())
                # Counters of the initial namespace move with its traffic.
                if {k: v for k, v in got.items() if k != "stats"} != \
                        {k: v for k, v in want.items() if k != "stats"}:
                    w.wrong(n, "loaded with %s" % diff(want, got))
            unload()
            if injected:
                w.absorbed += 1
                continue
            return w.summary(n)
        w.sites += 1
        w.errnos[err] = w.errnos.get(err, 0) + 1
        if err not in CLEAN:
            w.wrong(n, "unexpected error %s" % os.strerror(err))
        if loaded:
            w.wrong(n, "finit_module failed, the module is there")
            unload()
    w.wrong(LIMIT, "no end")
    return w.summary(LIMIT)


def fill(n):
    r = ztnl.Genl().ztdns("ADD_ENTRIES", batch(0, n))
    if isinstance(r, tuple):
        raise SystemExit("fill: %r" % (r,))
    return 0


V4 = socket.inet_pton(AF4, "203.0.113.0")
V6 = socket.inet_pton(AF6, "2001:db8:53::1")


def main(argv):
    op = argv[1]
    if op == "fill":
        return fill(int(argv[2]))
    if op == "add-entries":
        b = batch(100000, 8)
        dels = nest(A_ENTRIES, *[nest(0, attr(E_FAMILY, fam), attr(E_ADDR, a))
                                 for fam, a in entries_of([b"\0" * 4 + b])])
        return walk_netlink(op, "ADD_ENTRIES", b, [("DEL_ENTRIES", dels)])
    if op == "add-entries-again":
        # 4 addresses present with 30 minutes left, then a batch that
        # extends them to a day and adds 4 more: a failure must leave the
        # 4 as they were (their expiry and add time put back).
        old = batch(200000, 4, 1800)
        again = nest(A_ENTRIES, *(entries(200000, 4) + entries(200004, 4)))
        r = ztnl.Genl().ztdns("ADD_ENTRIES", old)
        if isinstance(r, tuple):
            raise SystemExit("add-entries-again: %r" % (r,))
        dels = nest(A_ENTRIES, *[nest(0, attr(E_FAMILY, fam), attr(E_ADDR, a))
                                 for fam, a in entries_of([b"\0" * 4 + again])])
        return walk_netlink(op, "ADD_ENTRIES", again,
                            [("DEL_ENTRIES", dels), ("ADD_ENTRIES", old)])
    if op == "dump":
        return walk_netlink(op, "GET_ENTRIES", b"", [], dump=True)
    if op == "add-subnet":
        s = nest(A_SUBNET, u16(1, AF4), attr(2, V4), u8(3, 24))
        return walk_netlink(op, "ADD_SUBNET", s, [("DEL_SUBNET", s)])
    if op == "add-server":
        s = nest(A_SERVER, u16(1, AF6), attr(2, V6), u16(3, 853))
        return walk_netlink(op, "ADD_SERVER", s, [("DEL_SERVER", s)])
    if op == "set-mode":
        return walk_netlink(op, "SET_CONFIG", u8(A_MODE, 2),
                            [("SET_CONFIG", u8(A_MODE, 0))])
    if op == "set-mode-new":
        return walk_fresh("set-mode", "SET_CONFIG", u8(A_MODE, 2))
    if op == "add-entries-new":
        return walk_fresh("add-entries", "ADD_ENTRIES", batch(100000, 8))
    if op == "netns":
        return walk_netns()
    if op == "load":
        return walk_load(argv[2], argv[3])
    raise SystemExit("unknown operation " + op)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
