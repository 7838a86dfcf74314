"""Loading and merging JMH results (standard JMH JSON, `-rf json`) of one or more results folders.

A results folder is what benchmarks/run-benchmarks.sh writes: jmh.json, jmh.log, machine.json/.txt,
summary.txt, noisy.txt and, on full and headline runs, footprint.txt and fragmentation.txt. A plain .json
file is accepted too (a legacy result without machine facts); it is labelled as such everywhere.
Later runs win: a benchmark (with its parameters) measured in several runs takes all its figures from the
last run given.
"""
import json
import math
import os
import re

PACKAGE = "io.github.slabkit.bench."
NOISY_FRACTION = 0.20  # error (99.9% half-width) over this fraction of the score: flagged for a rerun
ZERO_BYTES = 0.5       # B/op below this rounds to 0 (JMH's own bookkeeping shows as 10^-3..10^-1 B/op)


class Result:
    """One figure: a benchmark with its parameters, or a group member (key "Class.group:member")."""

    def __init__(self, run, name, params, metric, mode, bop):
        self.run = run
        self.name = name            # "Class.method" or "Class.group:member"
        self.params = params        # "ranges=100000" or ""
        self.score = metric["score"]
        self.error = _num(metric.get("scoreError"))
        self.unit = metric["scoreUnit"]
        self.mode = mode
        self.bop = bop
        pct = metric.get("scorePercentiles") or {}
        self.median = pct.get("50.0", self.score)
        self.p99 = pct.get("99.0")
        self.max = pct.get("100.0")
        raw = metric.get("rawData") or []
        self.forks = len(raw)
        self.iterations = sum(len(f) for f in raw)

    @property
    def higher_is_better(self):
        return self.mode == "thrpt"

    @property
    def noisy(self):
        """True when the error is over 20% of the score, or JMH gave no error (one iteration in all)."""
        return self.error is None or not self.score or self.error > NOISY_FRACTION * abs(self.score)

    @property
    def error_fraction(self):
        if self.error is None or not self.score:
            return None
        return self.error / abs(self.score)

    @property
    def zero_garbage(self):
        return self.bop is not None and self.bop < ZERO_BYTES

    def key(self):
        return key(self.name, self.params)


def key(name, params=""):
    return name + ("{" + params + "}" if params else "")


def _num(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


class Run:
    def __init__(self, path, tag):
        self.path = path.rstrip("/")
        self.tag = tag
        self.name = os.path.basename(self.path)
        folder = os.path.isdir(self.path)
        self.json_path = os.path.join(self.path, "jmh.json") if folder else self.path
        self.machine = {}
        mpath = os.path.join(self.path, "machine.json")
        if folder and os.path.exists(mpath):
            with open(mpath) as f:
                self.machine = json.load(f)
        self.legacy = not self.machine
        self.commit = self.machine.get("commit")
        self.short = self.machine.get("shortCommit") or "unknown commit"
        self.dirty = bool(self.machine.get("dirty"))
        self.footprint = _read(os.path.join(self.path, "footprint.txt")) if folder else None
        self.fragmentation = _read(os.path.join(self.path, "fragmentation.txt")) if folder else None
        self.results = []
        if os.path.exists(self.json_path) and os.path.getsize(self.json_path) > 0:
            with open(self.json_path) as f:
                records = json.load(f)
            for r in records:
                self.results.extend(_results(self, r))

    def settings(self):
        """The JMH settings as the JSON records them, e.g. '-f 3 -wi 5 -i 5', one line per distinct set."""
        seen = []
        with open(self.json_path) as f:
            for r in json.load(f):
                s = f"-f {r['forks']} -wi {r['warmupIterations']} -i {r['measurementIterations']}"
                s += f" (warm-up {r['warmupTime']}, iterations {r['measurementTime']})"
                if s not in seen:
                    seen.append(s)
        return seen


def _read(path):
    if os.path.exists(path):
        with open(path) as f:
            return f.read()
    return None


def _results(run, r):
    cls, method = r["benchmark"].rsplit(".", 1)
    cls = cls.rsplit(".", 1)[1]
    # The extent benchmarks run both tree structures: the default (red-black) keeps the plain key that the
    # tables and targets name; the opt-in B+tree is keyed with structure=btree.
    params = ",".join(f"{k}={v}" for k, v in sorted((r.get("params") or {}).items())
                      if not (k == "structure" and v == "rbtree"))
    sec = r.get("secondaryMetrics") or {}
    norm = sec.get("gc.alloc.rate.norm")
    bop = _num(norm["score"]) if norm else None
    out = [Result(run, f"{cls}.{method}", params, r["primaryMetric"], r["mode"], bop)]
    for sub, m in sec.items():
        # Skip the profilers' metrics and sample mode's per-percentile entries (p0.50, member:p0.99, ...).
        if not sub.startswith("gc.") and not sub.startswith("·") and not re.search(r"(^|:)p\d\.\d+$", sub):
            # A group member shows the group's B/op (per group operation).
            out.append(Result(run, f"{cls}.{method}:{sub}", params, m, r["mode"], bop))
    return out


class Results:
    """The merged view of several runs: for each figure, the last run that measured its benchmark."""

    def __init__(self, paths):
        self.runs = [Run(p, f"r{i + 1}") for i, p in enumerate(paths)]
        self.by_key = {}
        for run in self.runs:
            fresh = {}
            for res in run.results:
                fresh[res.key()] = res
            # A later run replaces the whole benchmark (the group and its members together).
            replaced = {_bench(k) for k in fresh}
            self.by_key = {k: v for k, v in self.by_key.items() if _bench(k) not in replaced}
            self.by_key.update(fresh)
        self.used = set()

    def get(self, name, params=""):
        r = self.by_key.get(key(name, params))
        if r is not None:
            self.used.add(r.key())
        return r

    def last_with(self, attr):
        for run in reversed(self.runs):
            if getattr(run, attr):
                return run
        return None

    def unused(self):
        return [r for k, r in sorted(self.by_key.items()) if k not in self.used]


def _bench(k):
    """'Class.group:member{p}' -> 'Class.group{p}'."""
    name, _, params = k.partition("{")
    return name.split(":")[0] + ("{" + params if params else "")


def fmt(x):
    """Three significant figures at most, thousands separated."""
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 0.01 or x == 0:
        return f"{x:.2f}"
    return f"{x:.1e}"


def fmt_ratio(x):
    if x >= 10:
        return f"{x:.1f}x"
    if x >= 0.1:
        return f"{x:.2f}x"
    return f"{x:.2g}x"


def fmt_bop(r):
    if r is None or r.bop is None:
        return "-"
    return "0" if r.zero_garbage else fmt(r.bop)


def parse_footprint(text):
    """MemoryFootprint's output -> {'ranges', 'guava', 'treemap', 'heap', 'offheap'} (B/range or B/state)."""
    if not text:
        return None
    out = {}
    m = re.search(r"^(\d+) ranges", text, re.M)
    if m:
        out["ranges"] = int(m.group(1))
    # "Slabkit ExtentTree (heap)" (one structure) or "Slabkit ExtentTree red-black (heap)" and
    # "Slabkit ExtentTree B+tree (heap)" (both): the plain keys are the default (red-black), "bt_" the B+tree.
    for label, k in (("Guava", "guava"), ("TreeMap", "treemap"),
                     (r"Slabkit ExtentTree (?:red-black )?\(heap", "heap"), (r"Slabkit ExtentTree B\+tree \(heap", "bt_heap")):
        m = re.search(r"^" + label + r".*=\s*([-\d.,]+) B/range", text, re.M)
        if m:
            out[k] = float(m.group(1).replace(",", ""))
    for label, prefix in ((r"Slabkit ExtentTree (?:red-black )?\(off-heap", ""), (r"Slabkit ExtentTree B\+tree \(off-heap", "bt_")):
        m = re.search(r"^" + label + r".*?off-heap\s+([\d,]+) B\s*=\s*([\d.]+) B/state \(", text, re.M)
        if m:
            out[prefix + "offheap_bytes"] = int(m.group(1).replace(",", ""))
            out[prefix + "offheap"] = float(m.group(2))
    return out


def parse_fragmentation(text, scheme="KERNEL"):
    """KmallocFragmentation's output -> the internal fragmentation (percent) of the named scheme."""
    if not text:
        return None
    m = re.search(r"^" + scheme + r" classes:.*internal fragmentation ([\d.]+)%", text, re.M)
    return float(m.group(1)) if m else None
