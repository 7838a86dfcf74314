"""What BENCHMARKS.md shows: its tables (rows and the anchors each row is compared with) and the issues'
targets. Keys are "Class.method" (or "Class.group:member"), optionally with parameters:
"ExtentLookupBenchmark.slabkitStateAt{ranges=100000}". In an anchor, "{ranges=*}" means "the row's own
parameters". An anchor given as a tuple of keys is the fastest of them (e.g. Netty on a plain thread or as an
event-loop thread: the targets are judged against Netty's best case).

When you add a benchmark that a target needs, use the key named in TARGETS (or change the key here): a
target whose benchmark is not in the results prints "not measured". A benchmark in no table below still
appears, in the "other benchmarks" table.
"""

P, B, T, C = "AllocPairBenchmark", "AllocBatchBenchmark", "AllocTwoThreadsBenchmark", "ProducerConsumerBenchmark"
M, M2, D, S = "MempoolBenchmark", "MempoolTwoThreadsBenchmark", "SlabDebugBenchmark", "StarvationBoundBenchmark"
E, L, R = "ExtentSetClearBenchmark", "ExtentLookupBenchmark", "RangeLockBenchmark"
K, KA = "KmallocPairBenchmark", "KmallocArenaBenchmark"

# Benchmarks named by targets of open issues that do not exist yet (the names are proposals).
CONTEXT_PAIR = f"{P}.slabLocalAllocateFree"                # issue 12: SlabCache.Local pair
MEMPOOL_BATCH = f"{B}.mempoolAllocateFree"                 # issue 12: mempool in the 64-batch shape
VIRTUAL_PAIR = "VirtualThreadsBenchmark.slabAllocateFree"  # issue 12: 64 virtual threads on one cache
READER_ALONE = "ExtentReadersBesideWriterBenchmark.alone"                   # issue 13
READER_BESIDE = "ExtentReadersBesideWriterBenchmark.mixed:reader"   # issue 13
READER_CONTROL = "ExtentReadersBesideWriterBenchmark.otherTree:otherTreeReader"  # issue 13, the control


def nettyP(cls):
    return (f"{cls}.nettyPooled", f"{cls}.nettyPooledEventLoop")


def nettyA(cls):
    return (f"{cls}.nettyAdaptive", f"{cls}.nettyAdaptiveEventLoop")


class Table:
    """rows: (label, key); anchors: (name, key or tuple of keys); covers: keys the table accounts for without
    a row of their own (so they are not listed again under "other benchmarks")."""

    def __init__(self, tid, rows, anchors, percentiles=False, covers=()):
        self.id, self.rows, self.anchors, self.percentiles = tid, rows, anchors, percentiles
        self.covers = covers


TABLES = [
    Table("slab-pair", [
        ("**SlabCache tryAllocate/free**", f"{P}.slabTryAllocateFree"),
        ("**SlabCache allocate/free**", f"{P}.slabAllocateFree"),
        ("Netty pooled, plain thread", f"{P}.nettyPooled"),
        ("Netty pooled, event-loop thread", f"{P}.nettyPooledEventLoop"),
        ("Netty adaptive, plain thread", f"{P}.nettyAdaptive"),
        ("Netty adaptive, event-loop thread", f"{P}.nettyAdaptiveEventLoop"),
        ("FFM malloc/free", f"{P}.ffmMalloc"),
        ("FFM malloc/free, critical downcall", f"{P}.ffmMallocCritical"),
        ("Arena.ofConfined allocate+close", f"{P}.arenaConfined"),
        ("JCTools MpmcAtomicArrayQueue pool", f"{P}.jctoolsMpmcPool"),
        ("ByteBuffer.allocateDirect (GC frees)", f"{P}.byteBufferAllocateDirect"),
        ("ThreadLocal + array stack (per-thread floor)", f"{P}.threadLocalArrayStack"),
        ("array stack (floor)", f"{P}.arrayStack"),
    ], [("Netty pooled", nettyP(P)), ("Netty adaptive", nettyA(P)), ("malloc", f"{P}.ffmMalloc"),
        ("FFM arena", f"{P}.arenaConfined")]),
    Table("slab-batch", [
        ("**SlabCache allocate x64, free x64**", f"{B}.slabAllocateFree"),
        ("**SlabCache allocateBulk/freeBulk 64**", f"{B}.slabAllocateBulkFreeBulk"),
        ("**SlabLocal allocate x64, free x64**", f"{B}.slabLocalAllocateFree"),
        ("**SlabLocal allocateBulk/freeBulk 64**", f"{B}.slabLocalAllocateBulkFreeBulk"),
        ("SlabCache x64 with mempool_free's load-load fence after each free (the fenced floor)",
         f"{B}.slabFencedAllocateFree"),
        ("Netty pooled, plain thread", f"{B}.nettyPooled"),
        ("Netty pooled, event-loop thread", f"{B}.nettyPooledEventLoop"),
        ("FFM malloc/free", f"{B}.ffmMalloc"),
        ("JCTools MpmcAtomicArrayQueue pool", f"{B}.jctoolsMpmcPool"),
        ("array stack (floor)", f"{B}.arrayStack"),
    ], [("single slab pair", f"{P}.slabAllocateFree"), ("Netty pooled", nettyP(B)), ("malloc", f"{B}.ffmMalloc")]),
    Table("slab-two-threads", [
        ("**SlabCache tryAllocate/free, 2 threads**", f"{T}.slabTryAllocateFree"),
        ("**SlabCache allocate/free, 2 threads**", f"{T}.slabAllocateFree"),
        ("Netty pooled, plain threads", f"{T}.nettyPooled"),
        ("Netty pooled, event-loop threads", f"{T}.nettyPooledEventLoop"),
        ("JCTools MpmcAtomicArrayQueue pool", f"{T}.jctoolsMpmcPool"),
    ], [("1-thread slab pair", f"{P}.slabTryAllocateFree"), ("Netty pooled", nettyP(T))]),
    Table("producer-consumer", [
        ("**SlabCache** (producer's rate)", f"{C}.slab:slabProducer"),
        ("Netty pooled, plain threads", f"{C}.nettyPooled:nettyProducer"),
        ("Netty pooled, event-loop threads", f"{C}.nettyPooledEventLoop:nettyElProducer"),
    ], [("Netty pooled", (f"{C}.nettyPooled:nettyProducer", f"{C}.nettyPooledEventLoop:nettyElProducer"))],
        # The consumers' rates equal the producers' (every pair crosses the ring); JMH's group total is both.
        covers=[f"{C}.{g}" for g in ("slab", "slab:slabConsumer", "nettyPooled", "nettyPooled:nettyConsumer",
                                     "nettyPooledEventLoop", "nettyPooledEventLoop:nettyElConsumer")]),
    Table("mempool-pair", [
        ("bare SlabCache allocate/free", f"{M}.bareSlabAllocateFree"),
        ("bare SlabCache allocate/free with mempool_free's load-load fence after the free (the fenced floor)",
         f"{M}.bareSlabFencedAllocateFree"),
        ("**Mempool allocate/free, backing succeeds**", f"{M}.mempoolAllocateFree"),
        ("**Mempool tryAllocate/free, backing succeeds**", f"{M}.mempoolTryAllocateFree"),
        ("**Mempool allocate/free, reserve path (backing exhausted)**", f"{M}.reservePathAllocateFree"),
        ("**Mempool tryAllocate/free, reserve path**", f"{M}.reservePathTryAllocateFree"),
        ("(diagnostic: the exhausted backing cache's refusal alone)", f"{M}.exhaustedBackingTryAllocate"),
    ], [("bare slab pair", f"{M}.bareSlabAllocateFree"), ("Netty pooled (1 thread)", nettyP(P))]),
    Table("mempool-reservation", [
        ("4 bare SlabCache allocate + 4 free", f"{M}.bareSlab4AllocateFree"),
        ("**reused Reservation: reacquire()**", f"{M}.reservationReacquire"),
        ("**same, checked mode on**", f"{M}.reservationReacquireChecked"),
        ("**Builder.acquire() each time**", f"{M}.reservationAcquire"),
    ], [("4 bare pairs", f"{M}.bareSlab4AllocateFree")]),
    Table("mempool-two-threads", [
        ("**Mempool allocate/free, backing succeeds**", f"{M2}.mempoolAllocateFree"),
        ("**Mempool allocate/free, reserve path**", f"{M2}.mempoolReservePathAllocateFree"),
        ("Netty pooled, plain threads", f"{M2}.nettyPooled"),
        ("Netty pooled, event-loop threads", f"{M2}.nettyPooledEventLoop"),
    ], [("slab pair, 2 threads", f"{T}.slabAllocateFree"), ("Netty pooled", nettyP(M2))]),
    Table("slab-debug", [
        (f"SlabCache allocate/free, slab_debug `{d}`", f"{D}.allocateFree{{debug={d}}}")
        for d in ("-", "P", "Z", "FZP", "FZPU")
    ], [("debugging off", f"{D}.allocateFree{{debug=-}}"), ("slab pair (AllocPair)", f"{P}.slabAllocateFree")]),
    Table("leak-sampling", [
        (f"SlabCache allocate/free, leakSampling {n}", f"LeakSamplingBenchmark.slabAllocateFree{{leakSampling={n}}}")
        for n in ("0", "1024", "16384")
    ] + [
        (f"SlabLocal allocate/free, leakSampling {n}", f"LeakSamplingBenchmark.slabLocalAllocateFree{{leakSampling={n}}}")
        for n in ("0", "1024", "16384")
    ] + [
        (f"SlabCache allocate x64, free x64 (per pair), leakSampling {n}",
         f"LeakSamplingBenchmark.slabBatchAllocateFree{{leakSampling={n}}}")
        for n in ("0", "1024", "16384")
    ] + [
        (f"SlabLocal allocate x64, free x64 (per pair), leakSampling {n}",
         f"LeakSamplingBenchmark.slabLocalBatchAllocateFree{{leakSampling={n}}}")
        for n in ("0", "1024", "16384")
    ] + [
        (f"SlabCache allocate x256, free x256 (per pair; the depot's slow path runs), leakSampling {n}",
         f"LeakSamplingBenchmark.slabLargeBatchAllocateFree{{leakSampling={n}}}")
        for n in ("0", "1024", "16384")
    ], [("sampling off", "LeakSamplingBenchmark.slabAllocateFree{leakSampling=0}"),
        ("slab pair (AllocPair)", f"{P}.slabAllocateFree")]),
    Table("starvation-bound", [
        (f"{what}, claim window {w} ms", f"{S}.starve{member}{{claimWindowMs={w}}}")
        for w in ("1", "10")
        for what, member in (("whole-reserve reservation", ":wholeReserve"), ("single allocate+free stream", ":stream"),
                             ("(both threads' samples together, JMH's group figure)", ""))
    ], [], percentiles=True),
    Table("extent-set-clear", [
        (f"{label}, {n:,} ranges", f"{E}.{m}{{ranges={n}}}")
        for n in (100000, 1000000)
        for label, m in (("**Slabkit ExtentTree set + clear**", "slabkitSetClear"),
                         ("Guava TreeRangeMap putCoalescing + remove", "guavaPutCoalescingRemove"),
                         ("TreeMap<Long,long[]> range map set + clear", "treeMapSetClear"))
    ], [("Guava", f"{E}.guavaPutCoalescingRemove{{ranges=*}}"), ("TreeMap", f"{E}.treeMapSetClear{{ranges=*}}")]),
    Table("extent-lookup", [
        (f"{label}, {n:,} ranges", f"{L}.{m}{{ranges={n}}}")
        for n in (100000, 1000000)
        for label, m in (("**Slabkit ExtentTree stateAt**", "slabkitStateAt"),
                         ("Guava TreeRangeMap getEntry", "guavaGetEntry"),
                         ("TreeMap floorEntry", "treeMapFloorEntry"))
    ], [("Guava", f"{L}.guavaGetEntry{{ranges=*}}"), ("TreeMap", f"{L}.treeMapFloorEntry{{ranges=*}}")]),
    Table("range-lock", [
        ("**Slabkit ExtentTree lock/unlock, empty tree**", f"{R}.slabkitLockUnlock{{ranges=0}}"),
        ("Guava range-lock table, empty", f"{R}.guavaRangeLockTable{{ranges=0}}"),
        ("**Slabkit ExtentTree lock/unlock, 100,000 locked ranges**", f"{R}.slabkitLockUnlock{{ranges=100000}}"),
        ("Guava range-lock table, 100,000 locked ranges", f"{R}.guavaRangeLockTable{{ranges=100000}}"),
        ("ReentrantLock lock+unlock (scale)", f"{R}.reentrantLock"),
        ("(control: the workload's slot choice alone, empty table)", f"{R}.slotChoice{{ranges=0}}"),
        ("(control: the workload's slot choice alone, 100,000 locked ranges)", f"{R}.slotChoice{{ranges=100000}}"),
    ], [("Guava table", f"{R}.guavaRangeLockTable{{ranges=*}}"), ("ReentrantLock", f"{R}.reentrantLock")]),
    Table("kmalloc-pair", [
        ("**Kmalloc allocate/free, random 16 B-4 KiB**", f"{K}.kmallocAllocateFree"),
        ("**Kmalloc tryAllocate/free**", f"{K}.kmallocTryAllocateFree"),
        ("**Kmalloc, quarter classes**", f"{K}.kmallocQuarterAllocateFree"),
        ("**Kmalloc, fixed 64 B**", f"{K}.kmallocFixed64AllocateFree"),
        ("SlabCache 64 B pair (fixed size)", f"{K}.slabAllocateFree"),
        ("Netty pooled, plain thread", f"{K}.nettyPooled"),
        ("Netty pooled, event-loop thread", f"{K}.nettyPooledEventLoop"),
        ("Netty adaptive, plain thread", f"{K}.nettyAdaptive"),
        ("Netty adaptive, event-loop thread", f"{K}.nettyAdaptiveEventLoop"),
    ], [("Netty pooled", nettyP(K)), ("Netty adaptive", nettyA(K)), ("fixed slab pair", f"{K}.slabAllocateFree")]),
    Table("kmalloc-arena", [
        ("**Kmalloc arena: 8 random segments + close**", f"{KA}.kmallocArena"),
        ("**same, segments not zeroed**", f"{KA}.kmallocArenaNotZeroed"),
        ("Arena.ofConfined()", f"{KA}.arenaOfConfined"),
        ("Arena.ofShared()", f"{KA}.arenaOfShared"),
    ], [("FFM arena (confined)", f"{KA}.arenaOfConfined"), ("FFM arena (shared)", f"{KA}.arenaOfShared")]),
]

# Extra arguments of `run-benchmarks.sh --headline` besides the benchmarks the targets name: JMH's -p
# restrictions (only for parameters that a single class has) and benchmarks for scale that the tables need.
HEADLINE_PARAMS = ["-p", "debug=-,P", "-p", "claimWindowMs=10"]
HEADLINE_EXTRA = [f"{P}.threadLocalArrayStack", f"{P}.arenaConfined", f"{P}.ffmMallocCritical",
                  f"{B}.slabAllocateBulkFreeBulk", f"{M2}.nettyPooled", f"{M2}.nettyPooledEventLoop",
                  f"{S}.starve"]
