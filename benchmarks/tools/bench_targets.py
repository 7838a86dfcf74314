"""The issues' performance targets and their verdicts, computed from the merged results.

Ratios are of JMH's scores (the mean over all forks and iterations, what JMH prints). A verdict carries
"(noisy)" when a figure it uses has an error over 20% of its score, and "(across runs)" when its figures come
from different runs (a rerun replaced one of them). A target whose benchmark is not in the results is
"not measured".
"""
from bench_results import fmt, parse_footprint, parse_fragmentation, ZERO_BYTES
from bench_spec import (B, C, CONTEXT_PAIR, D, E, K, KA, L, M, M2, MEMPOOL_BATCH, P, R, READER_ALONE,
                        READER_BESIDE, READER_CONTROL, S, T, VIRTUAL_PAIR, nettyA, nettyP)


class Ctx:
    def __init__(self, results, baseline=None):
        self.results, self.baseline = results, baseline

    def pick(self, sel, row_params=""):
        """A key, or a tuple of keys (the fastest present). Returns (Result, short name) or (None, name)."""
        keys = sel if isinstance(sel, tuple) else (sel,)
        found = []
        for k in keys:
            name, _, params = k.partition("{")
            params = params.rstrip("}")
            if params == "ranges=*" or params.endswith("=*"):
                params = row_params
            r = self.results.get(name, params)
            if r is not None:
                found.append(r)
        if not found:
            return None, keys[0]
        best = max(found, key=lambda r: r.score) if found[0].higher_is_better else min(found, key=lambda r: r.score)
        return best, best.key()


def speedup(row, anchor):
    """How many times faster `row` is than `anchor`."""
    if row.higher_is_better:
        return row.score / anchor.score
    return anchor.score / row.score


def unit(r):
    return r.unit.replace("ops/us", "ops/µs").replace("/op", "").replace("us", "µs") if r else ""


def fig(r):
    if r is None:
        return "-"
    if r.mode == "sample":
        return f"mean {fmt(r.score)}, p99 {fmt(r.p99)}, max {fmt(r.max)} {unit(r)}"
    return f"{fmt(r.score)} {unit(r)}"


def short(k):
    """'ExtentLookupBenchmark.slabkitStateAt{ranges=1000000}' -> '`ExtentLookup.slabkitStateAt{ranges=1000000}`'."""
    return "`" + k.replace("Benchmark.", ".", 1) + "`"


def flags(*rs):
    out = ""
    rs = [r for r in rs if r is not None]
    if any(r.noisy for r in rs):
        out += " (noisy)"
    if len({r.run.tag for r in rs}) > 1:
        out += " (across runs)"
    return out


def missing(*keys):
    return "-", "not measured (no " + ", ".join(short(k) for k in keys) + " in the results)"


def verdict(ok, by, *rs):
    return ("met" if ok else f"**missed** by {by:.0%}") + flags(*rs)


class Target:
    def __init__(self, issue, text, fn):
        self.issue, self.text, self.fn = issue, text, fn


def faster(issue, text, row, anchor, at_least, strict=False):
    """`row` at least `at_least` times faster than `anchor` (strictly more when strict)."""
    def fn(ctx):
        r, rk = ctx.pick(row)
        a, ak = ctx.pick(anchor)
        if r is None or a is None:
            return missing(*[k for x, k in ((r, rk), (a, ak)) if x is None])
        s = speedup(r, a)
        ok = s > at_least if strict else s >= at_least
        return (f"{short(rk)} {fig(r)}, {short(ak)} {fig(a)}: {s:.2f}x",
                verdict(ok, (at_least - s) / at_least, r, a))
    return Target(issue, text, fn)


def within(issue, text, row, ref, at_most, strict=False):
    """time(row) / time(ref) at most `at_most`."""
    def fn(ctx):
        r, rk = ctx.pick(row)
        f, fk = ctx.pick(ref)
        if r is None or f is None:
            return missing(*[k for x, k in ((r, rk), (f, fk)) if x is None])
        q = r.score / f.score
        ok = q < at_most if strict else q <= at_most
        return (f"{short(rk)} {fig(r)} / {short(fk)} {fig(f)} = {q:.2f}x",
                verdict(ok, (q - at_most) / at_most, r, f))
    return Target(issue, text, fn)


def below(issue, text, row, limit):
    def fn(ctx):
        r, rk = ctx.pick(row)
        if r is None:
            return missing(rk)
        return f"{short(rk)} {fig(r)}", verdict(r.score <= limit, (r.score - limit) / limit, r)
    return Target(issue, text, fn)


def added(issue, text, row, ref, max_ns):
    """time(row) - time(ref) at most `max_ns` nanoseconds."""
    def fn(ctx):
        r, rk = ctx.pick(row)
        f, fk = ctx.pick(ref)
        if r is None or f is None:
            return missing(*[k for x, k in ((r, rk), (f, fk)) if x is None])
        d = r.score - f.score
        return (f"{short(rk)} {fig(r)} - {short(fk)} {fig(f)} = {d:+.2f} ns",
                verdict(d <= max_ns, (d - max_ns) / max_ns, r, f))
    return Target(issue, text, fn)


def zero_garbage(issue, text, rows):
    def fn(ctx):
        got = [ctx.pick(k) for k in rows]
        absent = [k for r, k in got if r is None]
        present = [(r, k) for r, k in got if r is not None]
        if not present:
            return missing(*absent)
        bad = [(r, k) for r, k in present if not r.zero_garbage]
        worst = max((r.bop or 0) for r, _ in present)
        m = f"{len(present)} benchmarks, max {fmt(worst)} B/op"
        if bad:
            m += "; over " + str(ZERO_BYTES) + ": " + ", ".join(f"{short(k)} {fmt(r.bop)}" for r, k in bad)
        v = "met" if not bad else "**missed**"
        if absent:
            v += " (not measured: " + ", ".join(short(k) for k in absent) + ")"
        return m, v
    return Target(issue, text, fn)


def report(issue, text, rows):
    def fn(ctx):
        got = [ctx.pick(k) for k in rows]
        if all(r is None for r, _ in got):
            return missing(*[k for _, k in got])
        return "; ".join(f"{short(k)} {fig(r)}" for r, k in got if r is not None), "reported"
    return Target(issue, text, fn)


def footprint(issue, text, value, limit):
    def fn(ctx):
        run = ctx.results.last_with("footprint")
        fp = parse_footprint(run.footprint) if run else None
        if not fp or value(fp) is None:
            return "-", "not measured (no footprint.txt in the results)"
        v = value(fp)
        ok = v <= limit
        by = (v - limit) / limit if limit else float("inf")
        return f"{v:.1f} B ({run.tag})", "met" if ok else (f"**missed** by {by:.0%}" if limit else "**missed**")
    return Target(issue, text, fn)


def fragmentation(issue, text, limit):
    def fn(ctx):
        run = ctx.results.last_with("fragmentation")
        v = parse_fragmentation(run.fragmentation) if run else None
        if v is None:
            return "-", "not measured (no fragmentation.txt in the results)"
        return f"{v:.1f}% of requested bytes ({run.tag})", verdict(v <= limit, (v - limit) / limit)
    return Target(issue, text, fn)


def vs_baseline(issue, text, rows, max_added_ns=None):
    """Against the --baseline results: added time at most max_added_ns, or (None) no significant
    regression, i.e. no row whose score minus its error is above the baseline's score plus its error."""
    def fn(ctx):
        if ctx.baseline is None:
            return "-", "not measured (needs `--baseline <results folder of the commit before the change>`)"
        parts, ok, used = [], True, []
        pairs = [(ctx.pick(k), Ctx(ctx.baseline).pick(k)) for k in rows]
        absent = [k for ((now, k), (before, _)) in pairs if now is None or before is None]
        if absent:
            return missing(*absent)
        for (now, nk), (before, _) in pairs:
            used.append(now)
            delta = now.score - before.score
            parts.append(f"{short(nk)} {fmt(before.score)} -> {fig(now)} ({delta:+.2f})")
            if max_added_ns is not None:
                ok = ok and delta <= max_added_ns
            else:
                ok = ok and not (now.score - (now.error or 0) > before.score + (before.error or 0))
        return "; ".join(parts), ("met" if ok else "**missed**") + flags(*used)
    return Target(issue, text, fn)


PAIR, ALLOC = f"{P}.slabTryAllocateFree", f"{P}.slabAllocateFree"
PC_NETTY = (f"{C}.nettyPooled:nettyProducer", f"{C}.nettyPooledEventLoop:nettyElProducer")
SLAB_PATHS = [PAIR, ALLOC, f"{B}.slabAllocateFree", f"{B}.slabAllocateBulkFreeBulk", f"{T}.slabTryAllocateFree",
              f"{T}.slabAllocateFree", f"{C}.slab"]
EXTENT_OPS = [f"{E}.slabkitSetClear{{ranges=100000}}", f"{E}.slabkitSetClear{{ranges=1000000}}",
              f"{L}.slabkitStateAt{{ranges=100000}}", f"{L}.slabkitStateAt{{ranges=1000000}}",
              f"{R}.slabkitLockUnlock{{ranges=0}}", f"{R}.slabkitLockUnlock{{ranges=100000}}"]

TARGETS = [
    faster(2, "1 thread, pair: ≥ 8x faster than Netty pooled (best case)", PAIR, nettyP(P), 8),
    faster(2, "1 thread, pair: faster than FFM malloc", PAIR, f"{P}.ffmMalloc", 1, strict=True),
    zero_garbage(2, "0 B/op", SLAB_PATHS),
    within(2, "batch 64+64: per pair no slower than single", f"{B}.slabAllocateFree", ALLOC, 1.0),
    within(2, "2 threads: within 1.2x of 1 thread", f"{T}.slabTryAllocateFree", PAIR, 1.2),
    faster(2, "producer/consumer: ≥ 2x Netty pooled's throughput", f"{C}.slab:slabProducer", PC_NETTY, 2),
    within(3, "mempool pair, backing succeeds: within 1.5x of bare slab",
           f"{M}.mempoolAllocateFree", f"{M}.bareSlabAllocateFree", 1.5),
    below(3, "reserve path (backing exhausted): < 50 ns per pair", f"{M}.reservePathAllocateFree", 50),
    within(3, "reservation 2+2 (reacquire): < 5x the 4 bare pairs",
           f"{M}.reservationReacquire", f"{M}.bareSlab4AllocateFree", 5, strict=True),
    report(3, "two threads on one pool: report, Netty pooled for scale",
           [f"{M2}.mempoolAllocateFree", f"{M2}.mempoolReservePathAllocateFree", nettyP(M2)]),
    faster(4, "set+clear, 100k ranges: ≥ 3x faster than Guava",
           f"{E}.slabkitSetClear{{ranges=100000}}", f"{E}.guavaPutCoalescingRemove{{ranges=100000}}", 3),
    faster(4, "set+clear, 100k ranges: faster than the TreeMap version",
           f"{E}.slabkitSetClear{{ranges=100000}}", f"{E}.treeMapSetClear{{ranges=100000}}", 1, strict=True),
    faster(4, "point lookup, 100k ranges: ≥ 1.5x faster than Guava",
           f"{L}.slabkitStateAt{{ranges=100000}}", f"{L}.guavaGetEntry{{ranges=100000}}", 1.5),
    faster(4, "point lookup, 1M ranges: ≥ 1.5x faster than Guava",
           f"{L}.slabkitStateAt{{ranges=1000000}}", f"{L}.guavaGetEntry{{ranges=1000000}}", 1.5),
    faster(4, "lock+unlock, empty tree: faster than the Guava range-lock table",
           f"{R}.slabkitLockUnlock{{ranges=0}}", f"{R}.guavaRangeLockTable{{ranges=0}}", 1, strict=True),
    zero_garbage(4, "0 B/op (set+clear, lookup, lock+unlock)", EXTENT_OPS),
    footprint(4, "off-heap ≤ 64 B per state (MemoryFootprint, 1M ranges)", lambda f: f.get("offheap"), 64),
    footprint(4, "heap 0 B per state (MemoryFootprint, 1M ranges)", lambda f: f.get("heap"), 0),
    within(6, "debugging off: within 5% of the slab pair (same run)", f"{D}.allocateFree{{debug=-}}", ALLOC, 1.05),
    report(6, "poisoning on: report the cost", [f"{D}.allocateFree{{debug=P}}", f"{D}.allocateFree{{debug=-}}"]),
    vs_baseline(10, "nothing regresses: set+clear, lock+unlock, mempool pair, reservation reacquire",
                [f"{E}.slabkitSetClear{{ranges=100000}}", f"{R}.slabkitLockUnlock{{ranges=0}}",
                 f"{M}.mempoolAllocateFree", f"{M}.reservationReacquire"]),
    report(10, "starvation bound: time to grant a whole-reserve demand amid a stream (sample mode)",
           [f"{S}.starve:wholeReserve{{claimWindowMs=1}}", f"{S}.starve:wholeReserve{{claimWindowMs=10}}"]),
    vs_baseline(11, "default-mode double-free detection: ≤ 1 ns added to the pair", [PAIR], max_added_ns=1.0),
    below(12, "context pair: ≤ 2 ns", CONTEXT_PAIR, 2),
    faster(12, "context pair: ≥ 30x faster than Netty pooled", CONTEXT_PAIR, nettyP(P), 30),
    below(12, "default pair: ≤ 5.5 ns", PAIR, 5.5),
    faster(12, "default pair: ≥ 11x faster than Netty pooled", PAIR, nettyP(P), 11),
    within(12, "64-batch loop: within 1.1x of the single pair", f"{B}.slabAllocateFree", ALLOC, 1.1),
    within(12, "mempool pair (backing succeeds), single: within 1.25x of the slab pair",
           f"{M}.mempoolAllocateFree", f"{M}.bareSlabAllocateFree", 1.25),
    within(12, "mempool pair, 64-batch: within 1.25x of the slab batch", MEMPOOL_BATCH, f"{B}.slabAllocateFree", 1.25),
    within(12, "mempool pair, 2 threads: within 1.25x of the slab's 2 threads",
           f"{M2}.mempoolAllocateFree", f"{T}.slabAllocateFree", 1.25),
    within(12, "64 virtual threads: per pair ≤ 3x the platform-thread default pair", VIRTUAL_PAIR, PAIR, 3),
    zero_garbage(12, "0 B/op on these paths",
                 [CONTEXT_PAIR, PAIR, f"{B}.slabAllocateFree", f"{M}.mempoolAllocateFree", MEMPOOL_BATCH,
                  f"{M2}.mempoolAllocateFree", VIRTUAL_PAIR]),
] + [
    faster(13, f"set+clear, {n}: ≥ {x}x faster than {what}",
           f"{E}.slabkitSetClear{{ranges={p},structure=btree}}", f"{E}.{m}{{ranges={p}}}", x)
    for n, p in (("100k", 100000), ("1M", 1000000))
    for what, m, x in (("Guava", "guavaPutCoalescingRemove", 5), ("TreeMap", "treeMapSetClear", 3))
] + [
    faster(13, f"point lookup, {n}: ≥ {x}x faster than {what}",
           f"{L}.slabkitStateAt{{ranges={p},structure=btree}}", f"{L}.{m}{{ranges={p}}}", x)
    for n, p in (("100k", 100000), ("1M", 1000000))
    for what, m, x in (("Guava", "guavaGetEntry", 3), ("TreeMap", "treeMapFloorEntry", 1.5))
] + [
    within(13, "lock+unlock, empty tree: ≤ 2x ReentrantLock",
           f"{R}.slabkitLockUnlock{{ranges=0,structure=btree}}", f"{R}.reentrantLock", 2),
    below(13, "lock+unlock, 100k locked ranges: ≤ 100 ns", f"{R}.slabkitLockUnlock{{ranges=100000,structure=btree}}", 100),
    report(13, "(control, not a target) the lock+unlock workload's own cost (random slot and its range), inside the two rows above",
           [f"{R}.slotChoice{{ranges=0}}", f"{R}.slotChoice{{ranges=100000}}"]),
    faster(13, "reader beside a writer keeps ≥ 80% of its throughput alone", READER_BESIDE + "{ranges=100000,structure=btree}", READER_ALONE + "{ranges=100000,structure=btree}", 0.8),
    faster(13, "(control, not a target) a reader beside a writer of another tree, same size: the same 80% bar", READER_CONTROL + "{ranges=100000,structure=btree}", READER_ALONE + "{ranges=100000,structure=btree}", 0.8),
    faster(13, "(control, not a target) the reader beside the writer of its tree vs beside the writer of another", READER_BESIDE + "{ranges=100000,structure=btree}", READER_CONTROL + "{ranges=100000,structure=btree}", 0.8),
    footprint(13, "memory: ≤ 32 B per range, off-heap + heap (MemoryFootprint, 1M ranges)",
              lambda f: (f["bt_offheap_bytes"] / f["ranges"] + max(0.0, f["bt_heap"]))
              if {"bt_offheap_bytes", "ranges", "bt_heap"} <= f.keys() else None, 32),
    zero_garbage(13, "0 B/op on every operation (B+tree)", [k[:-1] + ",structure=btree}" for k in EXTENT_OPS] + [READER_BESIDE + "{ranges=100000,structure=btree}"]),
    faster(14, "random sizes 16 B-4 KiB: ≥ 8x faster than Netty pooled", f"{K}.kmallocAllocateFree", nettyP(K), 8),
    faster(14, "random sizes: ≥ 8x faster than Netty adaptive", f"{K}.kmallocAllocateFree", nettyA(K), 8),
    within(14, "random sizes: within 1.3x of the fixed-size slab pair",
           f"{K}.kmallocAllocateFree", f"{K}.slabAllocateFree", 1.3),
    fragmentation(14, "internal fragmentation ≤ 15% of requested bytes (kernel classes)", 15),
    faster(14, "arena of 8 random segments: ≥ 2x faster than Arena.ofConfined()",
           f"{KA}.kmallocArena", f"{KA}.arenaOfConfined", 2),
    faster(14, "arena: ≥ 5x faster than Arena.ofShared()", f"{KA}.kmallocArena", f"{KA}.arenaOfShared", 5),
    zero_garbage(14, "0 B/op on the allocator paths", [f"{K}.kmallocAllocateFree", f"{KA}.kmallocArena"]),
    added(15, "leak sampling at the recommended rate (1 in 16,384): ≤ 1 ns added on the pair",
          "LeakSamplingBenchmark.slabAllocateFree{leakSampling=16384}", "LeakSamplingBenchmark.slabAllocateFree{leakSampling=0}", 1),
    added(15, "leak sampling, context pair: ≤ 1 ns added",
          "LeakSamplingBenchmark.slabLocalAllocateFree{leakSampling=16384}", "LeakSamplingBenchmark.slabLocalAllocateFree{leakSampling=0}", 1),
    report(15, "leak sampling, 64-batch shape (per pair, no alloc/free fusion): sampling off, then 1 in 16,384",
           ["LeakSamplingBenchmark.slabBatchAllocateFree{leakSampling=0}",
            "LeakSamplingBenchmark.slabBatchAllocateFree{leakSampling=16384}",
            "LeakSamplingBenchmark.slabLocalBatchAllocateFree{leakSampling=0}",
            "LeakSamplingBenchmark.slabLocalBatchAllocateFree{leakSampling=16384}"]),
    report(15, "leak sampling, 256-batch shape (per pair; the depot's slow path runs): sampling off, then 1 in 16,384",
           ["LeakSamplingBenchmark.slabLargeBatchAllocateFree{leakSampling=0}",
            "LeakSamplingBenchmark.slabLargeBatchAllocateFree{leakSampling=16384}"]),
]


def target_keys():
    """Every benchmark (Class.method or Class.group) a target names, for the --headline selection."""
    out = set()

    class Spy:
        def __init__(self):
            self.results = self

        def get(self, name, params=""):
            out.add(name.split(":")[0])
            return None

        def last_with(self, attr):
            return None

    spy = Spy()
    ctx = Ctx(spy, baseline=spy)
    for t in TARGETS:
        t.fn(ctx)
    return out
