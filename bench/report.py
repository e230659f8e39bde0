#!/usr/bin/python3
"""The report of make bench: one markdown file, one JSON file and one plot
from the JSON that each benchmark script wrote (scripts/bench runs them).

    bench/report.py --dir build/bench [--suffix -smoke] --out DIR
                    [--failed "PART..."]

Reads DIR/{lookup,packet,insert,dns}SUFFIX.json (and the markdown that
bench-insert and bench-dns printed, DIR/{insert,dns}SUFFIX.md) and writes
OUT/results.md, OUT/results.json and OUT/overhead.png: the packet path's
overhead, in instructions per packet, against the number of entries, for
every configuration.  A part whose JSON is missing is reported as missing;
the exit status is 1 when no part at all could be read.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend)

PARTS = ("lookup", "packet", "insert", "dns")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# The guest's temporary directories (mktemp names, new each run) in the
# configuration files the parts record: named alike, so that two runs'
# results differ only where their figures do.
GUEST_TMP = re.compile(r"/tmp/ztdns-[A-Za-z0-9_-]+\.[A-Za-z0-9]{6}")


def text(path):
    try:
        with open(path) as f:
            return GUEST_TMP.sub("/tmp/ztdns-TMP", f.read()).strip()
    except OSError:
        return ""


def load(path):
    try:
        return json.loads(text(path))
    except ValueError:
        return None


def git_describe():
    try:
        return subprocess.run(["git", "-C", TOP, "describe", "--always",
                               "--dirty", "--tags"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def spread(r, fmt="%.0f"):
    """median [min-max] of a result with median, min and max."""
    return ("%s [%s–%s]" % (fmt, fmt, fmt)) % (r["median"], r["min"], r["max"])


def yes(met):
    return "yes" if met else "**no**"


# The goals (issues 5 and 12), from each part's figures.
def packet_goals(p):
    rows = []
    for g in p.get("goals", []):
        where = "%s, %s entries" % (g["family"], "{:,}".format(g["entries"]))
        if "ratio_goal" in g:
            rows.append({"part": "packet", "goal": "pps / no hooks, " + where,
                         "figure": "%.3f" % g["ratio"],
                         "target": ">= %.2f" % g["ratio_goal"],
                         "met": g["ratio_met"]})
        if "best_peer_overhead" in g:
            rows.append({"part": "packet",
                         "goal": "overhead vs the best peer's, " + where,
                         "figure": "%.0f instr" % g["overhead"],
                         "target": "<= %.0f (half of %.0f, %s)" % (
                             g["best_peer_overhead"] / 2, g["best_peer_overhead"],
                             g.get("best_peer", "?")),
                         "met": g["overhead_met"]})
    return rows


def lookup_goals(lk):
    rows = []
    for o in lk.get("over_floor", []):
        where = "IPv%d, %s entries, %s" % (o["family"], "{:,}".format(o["n"]),
                                           o["kind"])
        rows.append({"part": "lookup", "goal": "ztdns / memory floor, " + where,
                     "figure": "%.2f" % o["ztdns"]["median"], "target": "<= 2",
                     "met": o["ztdns"]["median"] <= 2})
    res = {(r["impl"], r["family"], r["n"], r["kind"]): r
           for r in lk.get("results", [])}
    for fam in (4, 6):
        z = res.get(("ztdns", fam, 1000000, "hit"))
        b = res.get(("bpf", fam, 1000000, "hit"))
        if z and b:
            rows.append({"part": "lookup",
                         "goal": "BPF LPM trie / ztdns, IPv%d, 1,000,000 entries, hit"
                         % fam,
                         "figure": "%.1f" % (b["median"] / z["median"]),
                         "target": ">= 10", "met": b["median"] / z["median"] >= 10})
    return rows


def insert_goals(d):
    rows = []
    for g in d.get("goals", []):
        peers = []
        for p in ("nft-hash", "nft-interval", "ipset"):
            if g.get(p + "_seconds") is not None:
                peers.append("%s %.1f s" % (p, g[p + "_seconds"]))
            elif p + "_stopped_after" in g:
                peers.append("%s stopped after %.0f s" % (p, g[p + "_stopped_after"]))
        rows.append({"part": "insert",
                     "goal": "load %s IPv%s addresses faster than nft and ipset"
                     % ("{:,}".format(g["entries"]), str(g["family"]).lstrip("IPv")),
                     "figure": "%.1f s" % g["ztdns_seconds"],
                     "target": "< " + ", ".join(peers) if peers else "?",
                     "met": bool(g.get("met"))})
    return rows


def dns_goals(d):
    rows = []
    for g in d.get("goals", []):
        where = "%s%s" % ("cache misses" if g.get("row") == "miss" else "cache hits",
                          ", at %s qps" % g["rate"] if "rate" in g else "")
        lat = "p50" in g["goal"] or "p99" in g["goal"]
        unit = " ms" if lat else " qps"
        if g["goal"].startswith("system calls"):
            target = "<= %d (clock_gettime, a vDSO call on hardware, left out)" % g["reference"]
            figure = "%.2f" % g["ztdnsd"]
        elif "ratio" in g:
            target = ">= 0.8 x %.0f (direct DoT)" % g["reference"]
            figure = "%.0f qps (%.2f)" % (g["ztdnsd"], g["ratio"])
        else:
            target = "%s %s%s (%s)" % ("<=" if lat else ">=",
                                       ("%.1f" if lat else "%.0f") % g["reference"],
                                       unit, g.get("reference_target", "?"))
            figure = ("%.1f" if lat else "%.0f") % g["ztdnsd"] + unit
        rows.append({"part": "dns", "goal": "ztdnsd %s, %s" % (g["goal"], where),
                     "figure": figure, "target": target, "met": bool(g.get("met"))})
    return rows


def packet_md(p, png):
    g = p["guest"]
    out = ["Guest kernel %s (%s; %s; conntrack %s), %s, `%s`: one guest "
           "nanosecond is one "
           "instruction, so instructions per packet = 1e9 / pps.  A UDP sender "
           "(bench/sender.c) sends with sendmmsg() to addresses routed to a "
           "dummy device; hits cycle through up to %s listed addresses.  "
           "Overhead = 1e9/pps - 1e9/pps(no hooks).  %d runs each; median "
           "[min–max]."
           % (g.get("kernel", "?"), g.get("nft", "?"), g.get("ipset", "?"),
              g.get("conntrack", "?"), p.get("qemu", "QEMU"), p.get("qemu_options", ""),
              "{:,}".format(p["config"].get("max_destinations", 0)),
              p["config"].get("runs", 0)), ""]
    out += ["| family | entries | config | held | pps | / no hooks | overhead (instr/pkt) |",
            "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for r in p["results"]:
        if r["mode"] != "hit":
            continue
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            r["family"], "{:,}".format(r["entries"]), r["config"],
            "{:,}".format(r["set_entries"]) if "set_entries" in r else "-",
            spread(r), "%.3f" % r["ratio"] if "ratio" in r else "1",
            "%.0f" % r["overhead_instructions"] if "ratio" in r
            else "(%.0f per packet)" % r["instructions_per_packet"]))
    out += ["", "![overhead against entries](%s)" % png, "",
            "Miss path: one sendto() a packet to unlisted addresses (EPERM "
            "expected; under no hooks and ztdns-off they pass).", "",
            "| family | entries | config | pps | instr/pkt | refused |",
            "| --- | ---: | --- | ---: | ---: | ---: |"]
    for r in p["results"]:
        if r["mode"] != "miss":
            continue
        out.append("| %s | %s | %s | %s | %.0f | %d/%d |" % (
            r["family"], "{:,}".format(r["entries"]), r["config"], spread(r),
            r["instructions_per_packet"], sum(x["eperm"] for x in r["runs"]),
            sum(x["eperm"] + x["sent"] for x in r["runs"])))
    backends = p.get("set_backends", [])
    if backends:
        out += ["", "nftables set backends, from kprobes on each backend's lookup "
                "function while a few hits passed: " + "; ".join(
                    "%s %s %s: %s" % (b["config"], b["family"], "{:,}".format(b["entries"]),
                                      " ".join(b["lookup_functions"])) for b in backends)]
    loads = [l for l in p.get("loads", [])]
    if loads:
        out += ["", "Loads inside the icount VM (wall clock; see Inserts for "
                "the measured comparison): " + "; ".join(
                    "%s %s %s: %s" % (l["config"], l["family"], "{:,}".format(l["entries"]),
                                      "FAILED" if not l.get("ok", True) else
                                      "?" if l.get("wall_seconds") is None else
                                      "%.1f s" % l["wall_seconds"]) for l in loads)]
    return out


def lookup_md(lk):
    res = {(r["impl"], r["family"], r["n"], r["kind"]): r for r in lk["results"]}
    ratio = {(o["family"], o["n"], o["kind"]): o for o in lk.get("over_floor", [])}
    out = ["UML (%s, %s), KUnit benchmark cases of kmod/tests/bench_test.c: ns per "
           "lookup on the same random keys; %d boots, median [min–max]; the "
           "ratios are taken within each boot."
           % (lk["kernel"]["source"], lk["kernel"].get("mem", "?"), lk["runs"]), "",
           "| family | entries | kind | floor | ztdns | BPF LPM trie | ztdns / floor | BPF / floor |",
           "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for (fam, n, kind), o in sorted(ratio.items()):
        cell = [spread(res[(i, fam, n, kind)], "%.1f") if (i, fam, n, kind) in res
                else "-" for i in ("floor", "ztdns", "bpf")]
        out.append("| IPv%d | %s | %s | %s | %s | %s | %.2f | %.2f |" % (
            fam, "{:,}".format(n), kind, cell[0], cell[1], cell[2],
            o["ztdns"]["median"], o["bpf"]["median"]))
    return out


def plot(p, path):
    hits = [r for r in p["results"] if r["mode"] == "hit" and "ratio" in r]
    fams = sorted({r["family"] for r in hits}) or ["IPv4"]
    fig, axes = plt.subplots(1, len(fams), figsize=(6 * len(fams), 4.5),
                             squeeze=False)
    for ax, fam in zip(axes[0], fams):
        cfgs = []
        for r in hits:
            if r["family"] == fam and r["config"] not in cfgs:
                cfgs.append(r["config"])
        for cfg in cfgs:
            pts = sorted((r["entries"], r["overhead_instructions"],
                          r.get("set_entries", r["entries"])) for r in hits
                         if r["family"] == fam and r["config"] == cfg)
            xs = [x[0] for x in pts]
            ys = [x[1] for x in pts]
            ax.plot(xs, ys, marker="o", label=cfg,
                    linewidth=2.5 if cfg == "ztdns" else 1.2)
            # A set that could not hold all N (the IPv6 interval set).
            for x, y, held in pts:
                if held < x:
                    ax.annotate("holds {:,}".format(held), (x, y),
                                textcoords="offset points", xytext=(-8, 6),
                                ha="right", fontsize="small")
        ax.set_xscale("log")
        ax.set_xlabel("entries in the allow-list")
        ax.set_ylabel("overhead, instructions per packet")
        ax.set_title("%s, LOCAL_OUT, hits" % fam)
        ax.set_ylim(bottom=0)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle("Packet-path overhead over no hooks (icount VM, guest %s)"
                 % p["guest"].get("kernel", "?"))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--suffix", default="")
    ap.add_argument("--out", required=True)
    ap.add_argument("--failed", default="")
    a = ap.parse_args()

    data = {k: load(os.path.join(a.dir, k + a.suffix + ".json")) for k in PARTS}
    if not any(data.values()):
        print("report: no benchmark results in %s" % a.dir, file=sys.stderr)
        return 1
    failed = a.failed.split()
    os.makedirs(a.out, exist_ok=True)

    goals = []
    if data["packet"]:
        goals += packet_goals(data["packet"])
    if data["lookup"]:
        goals += lookup_goals(data["lookup"])
    if data["insert"]:
        goals += insert_goals(data["insert"])
    if data["dns"]:
        goals += dns_goals(data["dns"])

    machine = next((d["machine"] for d in data.values() if d and "machine" in d), {})
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    md = ["# ztdns benchmark results", "",
          "Written by `make bench`%s on %s from %s.  Host: %s, %s CPUs, "
          "kernel %s.  Regenerate with `make bench`; the figures of one run "
          "compare, figures of two runs may not."
          % (" (smoke: small sizes, one run; not results)" if a.suffix else "",
             now, git_describe(), machine.get("cpu", "?"), machine.get("cpus", "?"),
             machine.get("host_kernel", "?")),
          "",
          "The lookup part ran alone.  The packet part ran alongside the insert "
          "and DNS parts: its guest counts instructions (icount), which the "
          "host's load does not change, while insert and DNS time the wall "
          "clock of a VM that shared the host with it, each comparing its "
          "configurations within its own run.", ""]
    if failed:
        md += ["**Failed parts: %s** (their figures are missing or partial)."
               % ", ".join(failed), ""]
    md += ["## Goals", "",
           "| part | goal | figure | target | met |", "| --- | --- | ---: | --- | --- |"]
    md += ["| %s | %s | %s | %s | %s |" % (g["part"], g["goal"], g["figure"],
                                         g["target"], yes(g["met"])) for g in goals]
    md += ["", "Met: %d of %d." % (sum(g["met"] for g in goals), len(goals)), ""]

    png = "overhead.png"
    md += ["## Packet path (LOCAL_OUT)", ""]
    if data["packet"]:
        md += packet_md(data["packet"], png)
        plot(data["packet"], os.path.join(a.out, png))
    else:
        md.append("Missing: no packet%s.json." % a.suffix)
    md += ["", "## Lookup cost", ""]
    md += lookup_md(data["lookup"]) if data["lookup"] else \
        ["Missing: no lookup%s.json." % a.suffix]
    for k, title in (("insert", "Inserts"), ("dns", "DNS")):
        md += ["", "## " + title, ""]
        body = text(os.path.join(a.dir, k + a.suffix + ".md"))
        if not data[k]:
            body = "Missing: no %s%s.json." % (k, a.suffix)
        elif not body:
            body = "Missing: bench-%s printed no table (%s%s.md)." % (k, k, a.suffix)
        md.append(body)

    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    doc = {"generated": now, "git": git_describe(), "machine": machine,
           "smoke": bool(a.suffix), "failed": failed, "goals": goals}
    doc.update({k: data[k] for k in PARTS})
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("report: %s/results.md, results.json%s" % (
        a.out, ", " + png if data["packet"] else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
