#!/usr/bin/env python3
"""Per-issue tables for BENCHMARKS.md from a JMH JSON result: Slabkit rows beside their anchors.

Usage: python3 benchmarks/tools/issue_tables.py results.json
Each row: what, ns/op (or pairs/us), +- error (99.9%), B/op, and the ratio to the reference row named
in the table heading.
"""
import json
import sys

S = {}


def load(path):
    for r in json.load(open(path)):
        cls, method = r["benchmark"].rsplit(".", 1)
        cls = cls.rsplit(".", 1)[1]
        p = ",".join(f"{v}" for v in (r.get("params") or {}).values())
        norm = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
        pm = r["primaryMetric"]
        S[(cls, method, p)] = (pm["score"], pm.get("scoreError"), norm["score"] if norm else None)
        for sub, m in r.get("secondaryMetrics", {}).items():
            if not sub.startswith("gc."):
                S[(cls, method + ":" + sub, p)] = (m["score"], m.get("scoreError"), None)


def f(x, digits=None):
    if x is None:
        return "-"
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if x != x:
        return "n/a"
    if abs(x) < 0.005:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def table(title, unit, rows, ref, higher_is_better=False):
    """rows: (label, cls, method, param); ref: index of the row the ratio column divides by."""
    print(f"#### {title}\n")
    rs = S.get((rows[ref][1], rows[ref][2], rows[ref][3]))
    print(f"| | {unit} | ± error | B/op | ratio to {rows[ref][0]} |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, cls, method, p in rows:
        v = S.get((cls, method, p))
        if v is None:
            print(f"| {label} | not run | | | |")
            continue
        ratio = "-"
        if rs and rs[0]:
            ratio = f"{v[0] / rs[0]:.2f}x"
        print(f"| {label} | {f(v[0])} | {f(v[1])} | {f(v[2])} | {ratio} |")
    print()


def main():
    load(sys.argv[1])
    P, B, T, C = "AllocPairBenchmark", "AllocBatchBenchmark", "AllocTwoThreadsBenchmark", "ProducerConsumerBenchmark"
    print("### Issue 2: slab cache, 64-byte objects\n")
    table("One thread, one alloc+free pair", "ns/op", [
        ("**SlabCache tryAllocate/free**", P, "slabTryAllocateFree", ""),
        ("**SlabCache allocate/free**", P, "slabAllocateFree", ""),
        ("Netty pooled, plain thread", P, "nettyPooled", ""),
        ("Netty pooled, event-loop thread", P, "nettyPooledEventLoop", ""),
        ("Netty adaptive, plain thread", P, "nettyAdaptive", ""),
        ("Netty adaptive, event-loop thread", P, "nettyAdaptiveEventLoop", ""),
        ("FFM malloc/free", P, "ffmMalloc", ""),
        ("FFM malloc/free, critical downcall", P, "ffmMallocCritical", ""),
        ("Arena.ofConfined allocate+close", P, "arenaConfined", ""),
        ("JCTools MpmcAtomicArrayQueue pool", P, "jctoolsMpmcPool", ""),
        ("ByteBuffer.allocateDirect (GC frees)", P, "byteBufferAllocateDirect", ""),
        ("ThreadLocal + array stack (per-thread floor)", P, "threadLocalArrayStack", ""),
        ("array stack (floor)", P, "arrayStack", ""),
    ], 0)
    table("One thread, 64 allocs then 64 frees (per pair)", "ns/pair", [
        ("**SlabCache allocate x64, free x64**", B, "slabAllocateFree", ""),
        ("**SlabCache allocateBulk/freeBulk 64**", B, "slabAllocateBulkFreeBulk", ""),
        ("(single pair, allocate/free, from above)", P, "slabAllocateFree", ""),
        ("Netty pooled, plain thread", B, "nettyPooled", ""),
        ("Netty pooled, event-loop thread", B, "nettyPooledEventLoop", ""),
        ("FFM malloc/free", B, "ffmMalloc", ""),
        ("JCTools MpmcAtomicArrayQueue pool", B, "jctoolsMpmcPool", ""),
        ("array stack (floor)", B, "arrayStack", ""),
    ], 2)
    table("Two threads, one shared allocator (time per pair seen by each thread)", "ns/op", [
        ("**SlabCache tryAllocate/free, 2 threads**", T, "slabTryAllocateFree", ""),
        ("(same, 1 thread, from above)", P, "slabTryAllocateFree", ""),
        ("**SlabCache allocate/free, 2 threads**", T, "slabAllocateFree", ""),
        ("(same, 1 thread, from above)", P, "slabAllocateFree", ""),
        ("Netty pooled, plain threads", T, "nettyPooled", ""),
        ("Netty pooled, event-loop threads", T, "nettyPooledEventLoop", ""),
        ("JCTools MpmcAtomicArrayQueue pool", T, "jctoolsMpmcPool", ""),
    ], 1)
    table("Producer/consumer: allocate on one thread, free on another (producer's rate)", "pairs/µs", [
        ("**SlabCache**", C, "slab:slabProducer", ""),
        ("Netty pooled, plain threads", C, "nettyPooled:nettyProducer", ""),
        ("Netty pooled, event-loop threads", C, "nettyPooledEventLoop:nettyElProducer", ""),
    ], 0)
    print("B/op of the producer/consumer groups (per group operation = half a pair): "
          f"slab {f(S.get((C, 'slab', ''), (0, 0, None))[2])}, "
          f"Netty plain {f(S.get((C, 'nettyPooled', ''), (0, 0, None))[2])}, "
          f"Netty event loop {f(S.get((C, 'nettyPooledEventLoop', ''), (0, 0, None))[2])}.\n")
    M, M2 = "MempoolBenchmark", "MempoolTwoThreadsBenchmark"
    print("### Issue 3: mempool and reservations, 64-byte objects\n")
    table("One thread", "ns/op", [
        ("bare SlabCache allocate/free", M, "bareSlabAllocateFree", ""),
        ("**Mempool allocate/free, backing succeeds**", M, "mempoolAllocateFree", ""),
        ("**Mempool tryAllocate/free, backing succeeds**", M, "mempoolTryAllocateFree", ""),
        ("**Mempool allocate/free, reserve path (backing exhausted)**", M, "reservePathAllocateFree", ""),
        ("**Mempool tryAllocate/free, reserve path**", M, "reservePathTryAllocateFree", ""),
        ("(diagnostic: the exhausted backing cache's refusal alone)", M, "exhaustedBackingTryAllocate", ""),
    ], 0)
    table("Reservation of 2 + 2 objects from two pools: acquire + take all + free all + close", "ns/op", [
        ("4 bare SlabCache allocate + 4 free", M, "bareSlab4AllocateFree", ""),
        ("**reused Reservation: reacquire()**", M, "reservationReacquire", ""),
        ("**same, checked mode on**", M, "reservationReacquireChecked", ""),
        ("**Builder.acquire() each time**", M, "reservationAcquire", ""),
    ], 0)
    table("Two threads contending on one pool (time per pair seen by each thread)", "ns/op", [
        ("**Mempool allocate/free, backing succeeds**", M2, "mempoolAllocateFree", ""),
        ("**Mempool allocate/free, reserve path**", M2, "mempoolReservePathAllocateFree", ""),
        ("Netty pooled, plain threads", M2, "nettyPooled", ""),
        ("Netty pooled, event-loop threads", M2, "nettyPooledEventLoop", ""),
    ], 0)
    E, L, R = "ExtentSetClearBenchmark", "ExtentLookupBenchmark", "RangeLockBenchmark"
    print("### Issue 4: extent tree, ranges over a 2^32 space\n")
    table("set + clear of random ranges, 100,000 ranges", "ns/op", [
        ("**Slabkit ExtentTree set + clear**", E, "slabkitSetClear", "100000"),
        ("Guava TreeRangeMap putCoalescing + remove", E, "guavaPutCoalescingRemove", "100000"),
        ("TreeMap<Long,long[]> range map set + clear", E, "treeMapSetClear", "100000"),
    ], 0)
    table("Point lookup, 100,000 ranges", "ns/op", [
        ("**Slabkit ExtentTree stateAt**", L, "slabkitStateAt", "100000"),
        ("Guava TreeRangeMap getEntry", L, "guavaGetEntry", "100000"),
        ("TreeMap floorEntry", L, "treeMapFloorEntry", "100000"),
    ], 0)
    table("Point lookup, 1,000,000 ranges", "ns/op", [
        ("**Slabkit ExtentTree stateAt**", L, "slabkitStateAt", "1000000"),
        ("Guava TreeRangeMap getEntry", L, "guavaGetEntry", "1000000"),
        ("TreeMap floorEntry", L, "treeMapFloorEntry", "1000000"),
    ], 0)
    table("Lock + unlock of an uncontended range", "ns/op", [
        ("**Slabkit ExtentTree lock/unlock, empty tree**", R, "slabkitLockUnlock", "0"),
        ("Guava range-lock table, empty", R, "guavaRangeLockTable", "0"),
        ("**Slabkit ExtentTree lock/unlock, 100,000 locked ranges**", R, "slabkitLockUnlock", "100000"),
        ("Guava range-lock table, 100,000 locked ranges", R, "guavaRangeLockTable", "100000"),
        ("ReentrantLock lock+unlock (scale)", R, "reentrantLock", ""),
    ], 0)


if __name__ == "__main__":
    main()
