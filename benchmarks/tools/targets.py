#!/usr/bin/env python3
"""Prints the issue targets of BENCHMARKS.md from a JMH JSON result file: each ratio and met/missed.

Usage: python3 benchmarks/tools/targets.py results.json
"""
import json
import sys


def load(path):
    s = {}
    for r in json.load(open(path)):
        cls, method = r["benchmark"].rsplit(".", 1)
        cls = cls.rsplit(".", 1)[1]
        p = ",".join(f"{v}" for v in (r.get("params") or {}).values())
        norm = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
        s[(cls, method, p)] = (r["primaryMetric"]["score"], norm["score"] if norm else None)
        for sub, m in r.get("secondaryMetrics", {}).items():
            if not sub.startswith("gc."):
                s[(cls, method + ":" + sub, p)] = (m["score"], None)
    return s


S = {}


def v(cls, method, p=""):
    return S.get((cls, method, p), (float("nan"), None))[0]


def b(cls, method, p=""):
    return S.get((cls, method, p), (None, None))[1]


def line(text, ratio, ok):
    print(f"- {text}: {ratio} -> {'MET' if ok else 'MISSED'}")


def main():
    global S
    S = load(sys.argv[1])
    P = "AllocPairBenchmark"
    for m in ("slabTryAllocateFree", "slabAllocateFree"):
        slab = v(P, m)
        for anchor in ("nettyPooled", "nettyPooledEventLoop"):
            r = v(P, anchor) / slab
            line(f"issue 2 pair: {anchor} {v(P, anchor):.1f} ns / {m} {slab:.2f} ns >= 8x", f"{r:.1f}x", r >= 8)
        for anchor in ("ffmMalloc", "ffmMallocCritical"):
            r = v(P, anchor) / slab
            line(f"issue 2 pair: faster than {anchor} {v(P, anchor):.1f} ns ({m} {slab:.2f} ns)", f"{r:.2f}x", r > 1)
        print(f"  {m} B/op = {b(P, m)}")
    B = "AllocBatchBenchmark"
    for m in ("slabAllocateFree", "slabAllocateBulkFreeBulk"):
        r = v(B, m) / v(P, "slabAllocateFree")
        line(f"issue 2 batch: {m} {v(B, m):.2f} ns/pair vs single allocate/free {v(P, 'slabAllocateFree'):.2f}", f"{r:.2f}x", r <= 1.0)
    T = "AllocTwoThreadsBenchmark"
    for m in ("slabTryAllocateFree", "slabAllocateFree"):
        r = v(T, m) / v(P, m)
        line(f"issue 2 two threads: {m} {v(T, m):.2f} ns vs one thread {v(P, m):.2f} ns <= 1.2x", f"{r:.2f}x", r <= 1.2)
    C = "ProducerConsumerBenchmark"
    slab = v(C, "slab:slabProducer")
    for g, m in (("nettyPooled", "nettyProducer"), ("nettyPooledEventLoop", "nettyElProducer")):
        n = v(C, f"{g}:{m}")
        r = slab / n
        line(f"issue 2 producer/consumer: slab {slab:.2f} pairs/us vs {g} {n:.2f} pairs/us >= 2x", f"{r:.1f}x", r >= 2)
    M = "MempoolBenchmark"
    r = v(M, "mempoolAllocateFree") / v(M, "bareSlabAllocateFree")
    line(f"issue 3 mempool {v(M, 'mempoolAllocateFree'):.2f} ns vs bare slab {v(M, 'bareSlabAllocateFree'):.2f} ns <= 1.5x", f"{r:.2f}x", r <= 1.5)
    for m in ("reservePathAllocateFree", "reservePathTryAllocateFree"):
        line(f"issue 3 {m} < 50 ns", f"{v(M, m):.1f} ns", v(M, m) < 50)
    for m in ("reservationReacquire", "reservationReacquireChecked", "reservationAcquire"):
        r = v(M, m) / v(M, "bareSlab4AllocateFree")
        line(f"issue 3 {m} {v(M, m):.1f} ns vs 4 bare {v(M, 'bareSlab4AllocateFree'):.1f} ns < 5x (B/op {b(M, m)})", f"{r:.2f}x", r < 5)
    E = "ExtentSetClearBenchmark"
    s, g, t = v(E, "slabkitSetClear", "100000"), v(E, "guavaPutCoalescingRemove", "100000"), v(E, "treeMapSetClear", "100000")
    line(f"issue 4 set+clear: Guava {g:.0f} ns / Slabkit {s:.0f} ns >= 3x", f"{g / s:.2f}x", g / s >= 3)
    line(f"issue 4 set+clear: faster than TreeMap {t:.0f} ns", f"{t / s:.2f}x", t / s > 1)
    print(f"  Slabkit set+clear B/op = {b(E, 'slabkitSetClear', '100000')}")
    L = "ExtentLookupBenchmark"
    for n in ("100000", "1000000"):
        s, g = v(L, "slabkitStateAt", n), v(L, "guavaGetEntry", n)
        line(f"issue 4 lookup at {n}: Guava {g:.0f} ns / Slabkit {s:.0f} ns >= 1.5x (TreeMap {v(L, 'treeMapFloorEntry', n):.0f} ns)", f"{g / s:.2f}x", g / s >= 1.5)
    R = "RangeLockBenchmark"
    for n in ("0", "100000"):
        s, g = v(R, "slabkitLockUnlock", n), v(R, "guavaRangeLockTable", n)
        line(f"issue 4 lock+unlock at {n} ranges: Guava table {g:.0f} ns / Slabkit {s:.0f} ns > 1 (B/op {b(R, 'slabkitLockUnlock', n)})", f"{g / s:.2f}x", g / s > 1)
    print(f"  ReentrantLock {v(R, 'reentrantLock', ''):.1f} ns")


if __name__ == "__main__":
    main()
