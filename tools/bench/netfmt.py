"""netfmt.py - parse and reduce the network benchmarks' measurements.

Purpose: the pure half of tools/netbench.py (which boots and measures):
turning what the clients and the guests print into numbers, and the runs
of a session into the figures docs/net.md shows.  No I/O beyond strings,
so the unit tests (tools/bench/test_netfmt.py) feed it outputs recorded
from real runs (tests/bench/net/).

Inputs it reads:
  wrk's output with tools/httpd_wrk.lua: the lines
      wrk-check: requests N ok N bad N errors connect N read N write N status N timeout N
      wrk-check: dist duration_us D mean_us M p50_us A p90_us B p99_us C p999_us E max_us F
  a guest's accounting, two kinds:
      Tally: the per-CPU ledger, as apps/httpd.c's /stats JSON
             ({"cpus": [{"hz", "elapsed", "classes": {name: cycles}}]}) or
             apps/udpecho.c's mark line (summed over CPUs)
                 udpecho: mark N hz H elapsed E residue R idle=C user=C ...
      Linux: /proc/stat's counters (USER_HZ ticks), as the Go peer's
             /stats JSON ({"user_hz", "cpus": [{"ticks": {...}}]}) or
             its mark line
                 netpeer: mark N user_hz 100 user=T nice=T system=T ...

Data structures: an "accounting" is {"kind": "ledger"|"procstat",
"seconds": {group: s}, "count": N or None} with the time of every CPU
summed, in seconds, grouped (GROUPS below); the difference of two is
what a phase cost (acct_sub).  Tally's groups: kern.driver, kern.irq
(every kern.irq.* class), rt.netpoll, rt.net, rt.sched, user, idle, and
other (the rest: kern.boot, kern.fault, kern.syscall, rt.timer, rt.alloc,
rt.gc.*, the residue).  Linux's: user (user + nice), system, irq,
softirq, idle (idle + iowait), other (steal).  busy = total - idle.

Invariants: an accounting's groups add up to its total (elapsed cycles
of every CPU / hz, or every tick / USER_HZ); a difference whose total
went down raises ValueError (two reads of different boots).
"""

import json
import math
import re
import statistics

TALLY_GROUPS = ("kern.driver", "kern.irq", "rt.netpoll", "rt.net", "rt.sched", "user",
                "idle", "other")
LINUX_GROUPS = ("user", "system", "irq", "softirq", "idle", "other")

_WRK_REQ = re.compile(
	r"^wrk-check: requests (\d+) ok (\d+) bad (\d+) errors connect (\d+) read (\d+) "
	r"write (\d+) status (\d+) timeout (\d+)$", re.M)
_WRK_DIST = re.compile(r"^wrk-check: dist ((?:\w+ [\d.]+ ?)+)$", re.M)
_MARK = re.compile(r"^(udpecho|netpeer): mark (\d+) (.*)$")


def parse_wrk(text):
	"""wrk's output (with httpd_wrk.lua) as a dict, or raise ValueError."""
	m = _WRK_REQ.search(text)
	d = _WRK_DIST.search(text)
	if not m or not d:
		raise ValueError("no wrk-check lines in wrk's output")
	keys = ("requests", "ok", "bad", "connect", "read", "write", "status", "timeout")
	r = dict(zip(keys, (int(x) for x in m.groups())))
	f = d.group(1).split()
	dist = {f[i]: float(f[i + 1]) for i in range(0, len(f) - 1, 2)}
	for k in ("duration_us", "mean_us", "p50_us", "p90_us", "p99_us", "max_us"):
		if k not in dist:
			raise ValueError("wrk-check dist line lacks %s" % k)
	r.update(dist)
	r["errors"] = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
	r["rps"] = r["requests"] / (dist["duration_us"] / 1e6) if dist["duration_us"] else 0.0
	return r


def _ledger(hz, elapsed, classes):
	if not hz:
		raise ValueError("a ledger without the cycle counter's frequency")
	g = dict.fromkeys(TALLY_GROUPS, 0)
	for name, cyc in classes.items():
		if name in g and name != "other":
			g[name] += cyc
		elif name.startswith("kern.irq."):
			g["kern.irq"] += cyc
		else:
			g["other"] += cyc
	g["other"] += elapsed - sum(classes.values())   # the residue
	return {"kind": "ledger", "seconds": {k: v / hz for k, v in g.items()}}


def _procstat(user_hz, ticks):
	t = dict(ticks)
	g = {"user": t.get("user", 0) + t.get("nice", 0), "system": t.get("system", 0),
	     "irq": t.get("irq", 0), "softirq": t.get("softirq", 0),
	     "idle": t.get("idle", 0) + t.get("iowait", 0), "other": t.get("steal", 0)}
	return {"kind": "procstat", "seconds": {k: v / user_hz for k, v in g.items()}}


def parse_stats(text):
	"""A /stats body (Tally's httpd or the Go peer) as an accounting."""
	j = json.loads(text)
	cpus = j.get("cpus") or []
	if not cpus:
		raise ValueError("/stats names no CPU")
	if "user_hz" in j:
		ticks = {}
		for c in cpus:
			for k, v in c["ticks"].items():
				ticks[k] = ticks.get(k, 0) + int(v)
		a = _procstat(int(j["user_hz"]), ticks)
	else:
		hz = cpus[0]["hz"]
		classes, elapsed = {}, 0
		for c in cpus:
			if c["hz"] != hz:
				raise ValueError("CPUs with different cycle frequencies")
			elapsed += c["elapsed"]
			for k, v in c["classes"].items():
				classes[k] = classes.get(k, 0) + v
		a = _ledger(hz, elapsed, classes)
	a["count"] = j.get("served")
	return a


def parse_marks(text):
	"""Every mark line of a console, in order, as accountings (count: the
	datagrams the server had echoed, the mark included)."""
	out = []
	for line in text.splitlines():
		m = _MARK.match(line.strip())
		if not m:
			continue
		f = m.group(3).split()
		kv = {}
		head = {}
		i = 0
		while i < len(f):
			if "=" in f[i]:
				k, _, v = f[i].partition("=")
				kv[k] = int(v)
				i += 1
			else:
				head[f[i]] = int(f[i + 1])
				i += 2
		if m.group(1) == "udpecho":
			a = _ledger(head["hz"], head["elapsed"], kv)
		else:
			a = _procstat(head["user_hz"], kv)
		a["count"] = int(m.group(2))
		out.append(a)
	return out


def acct_sub(b, a):
	"""What happened between accounting a and the later b."""
	if a["kind"] != b["kind"]:
		raise ValueError("accountings of different kinds")
	d = {k: b["seconds"][k] - a["seconds"][k] for k in b["seconds"]}
	if sum(d.values()) < 0:
		raise ValueError("the later accounting's total is smaller: not the same boot")
	cnt = None
	if a.get("count") is not None and b.get("count") is not None:
		cnt = b["count"] - a["count"]
	return {"kind": a["kind"], "seconds": d, "count": cnt}


def per_op(delta, ops, wall_s, ncpu, guest_ops=None):
	"""A phase's split per operation, in microseconds, and the client's
	view beside it: wall_us (the client's wall time per operation it
	counted, ops), busy_us (the guest's busy time per operation it
	served, guest_ops, default ops; every CPU summed), unseen_us =
	wall_us - busy_us (what the guest cannot see: the emulator's network,
	the host, the client), utilisation = busy time over ncpu x wall time.
	The two counts differ by the requests in flight when wrk stops: the
	guest served them, wrk does not count them."""
	sec = delta["seconds"]
	total = sum(sec.values())
	busy = total - sec["idle"]
	gops = guest_ops or ops
	r = {"split_us": {k: v * 1e6 / gops for k, v in sec.items()},
	     "busy_us": busy * 1e6 / gops, "wall_us": wall_s * 1e6 / ops, "guest_ops": gops,
	     "guest_s": total, "utilisation": busy / (ncpu * wall_s) if wall_s else 0.0}
	r["unseen_us"] = r["wall_us"] - r["busy_us"]
	r["unseen_share"] = r["unseen_us"] / r["wall_us"] if r["wall_us"] else 0.0
	return r


def percentile(sorted_vals, p):
	"""The p-th percentile (0..100) by the nearest rank."""
	if not sorted_vals:
		return 0.0
	k = max(0, min(len(sorted_vals) - 1, math.ceil(p / 100.0 * len(sorted_vals)) - 1))
	return sorted_vals[k]


# ---------------------------------------------------------------- summary

# (key, label, unit, path in a run, better): the figures the docs show.
METRICS = (
	("udp_pps", "UDP echo, 16 in flight", "echoes/s", ("udp", "flood", "pps"), "high"),
	("udp_rtt_p50", "UDP round trip, median (ping-pong)", "us", ("udp", "pingpong", "p50_us"), "low"),
	("udp_rtt_p99", "UDP round trip, p99 (ping-pong)", "us", ("udp", "pingpong", "p99_us"), "low"),
	("udp_pingpong_rate", "UDP ping-pong rate", "echoes/s", ("udp", "pingpong", "rate"), "high"),
	("http_c1_rps", "HTTP, 1 connection", "requests/s", ("http", "c1", "rps"), "high"),
	("http_c1_p50", "HTTP latency p50, 1 connection", "us", ("http", "c1", "p50_us"), "low"),
	("http_c1_p99", "HTTP latency p99, 1 connection", "us", ("http", "c1", "p99_us"), "low"),
	("http_c64_rps", "HTTP, 64 connections", "requests/s", ("http", "c64", "rps"), "high"),
	("http_c64_p50", "HTTP latency p50, 64 connections", "us", ("http", "c64", "p50_us"), "low"),
	("http_c64_p99", "HTTP latency p99, 64 connections", "us", ("http", "c64", "p99_us"), "low"),
)

# The goals: (metric, how Tally must compare with Go).
GOALS = {"http_c1_rps": ("ratio_min", 2.0), "http_c64_rps": ("ratio_min", 2.0),
         "udp_pps": ("ratio_min", 2.0), "udp_rtt_p50": ("ratio_max", 0.5)}


def dig(d, path):
	for k in path:
		if not isinstance(d, dict) or k not in d:
			return None
		d = d[k]
	return d


def spread(vals):
	vals = [v for v in vals if v is not None]
	if not vals:
		return None
	return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def summarize(runs):
	"""{system: {metric: spread}} over the runs of a session, plus the
	per-operation splits: {system: {phase: {field: spread}}}."""
	out = {}
	for r in runs:
		s = out.setdefault(r["system"], {"metrics": {}, "split": {}})
		for key, _, _, path, _ in METRICS:
			s["metrics"].setdefault(key, []).append(dig(r, path))
		for phase, path in (("udp_pingpong", ("udp", "pingpong", "guest")),
		                    ("udp_flood", ("udp", "flood", "guest")),
		                    ("http_c1", ("http", "c1", "guest")),
		                    ("http_c64", ("http", "c64", "guest"))):
			g = dig(r, path)
			if not g:
				continue
			ph = s["split"].setdefault(phase, {})
			for k, v in g["split_us"].items():
				ph.setdefault(k, []).append(v)
			for k in ("busy_us", "wall_us", "unseen_us", "unseen_share", "utilisation"):
				ph.setdefault(k, []).append(g[k])
	for s in out.values():
		s["metrics"] = {k: spread(v) for k, v in s["metrics"].items()}
		s["split"] = {p: {k: spread(v) for k, v in d.items()} for p, d in s["split"].items()}
	return out


def goal_verdicts(summary, a="tally", b="go"):
	"""{metric: (ratio a/b of the medians, goal text, met)}."""
	out = {}
	for key, (kind, bound) in GOALS.items():
		x = dig(summary, (a, "metrics", key))
		y = dig(summary, (b, "metrics", key))
		if not x or not y or not y["median"]:
			continue
		ratio = x["median"] / y["median"]
		if kind == "ratio_min":
			out[key] = (ratio, "at least %gx Go" % bound, ratio >= bound)
		else:
			out[key] = (ratio, "at most %gx Go" % bound, ratio <= bound)
	return out
