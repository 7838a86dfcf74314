package io.github.slabkit.examples;

import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.github.slabkit.allocator.Flyweight;
import io.github.slabkit.allocator.LongField;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.extent.CachedState;
import io.github.slabkit.extent.ExtentChangeset;
import io.github.slabkit.extent.ExtentHooks;
import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.extent.ExtentTreeBuilder;
import io.github.slabkit.extent.RangeResult;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.MempoolStatistics;
import io.github.slabkit.mempool.Reservation;
import io.github.slabkit.mempool.ReservationStatistics;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabCacheBuilder;
import io.github.slabkit.slab.SlabInfo;
import io.github.slabkit.slab.SlabStatistics;
import java.io.PrintStream;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The writeback simulation: the use the 2011 btrfs thread was about. Writer threads dirty ranges of a
 * simulated file in an {@link ExtentTree} ({@code lock_extent}, {@code set_extent_delalloc},
 * {@code unlock_extent}); a flusher thread finds delalloc ranges, locks them, "writes them out" with a bio
 * and an ordered-extent record taken through one {@link Reservation}, and clears them. Every extent state
 * comes from a {@link Mempool} over a {@link SlabCache}, under a {@link MemoryBudget} small enough that the
 * slab cache runs dry and the mempool's reserve carries the tree.
 *
 * <p>Writers are throttled the way the kernel's {@code balance_dirty_pages} throttles dirtiers: when a
 * quarter of the state reserve is in use they wait for the flusher, so the rest of the reserve is always
 * there for the flusher's own operations and writeback can always make progress.
 */
public final class WritebackSimulation {
  /** The simulated page size: every range is page aligned. */
  static final long PAGE = 4096;

  /** The most pages one write dirties. */
  static final int MAX_WRITE_PAGES = 8;


  private final DemoOptions options;
  private final PrintStream out;
  private final Hold hold;

  // counters shared by the threads
  private final LongAdder ops = new LongAdder();
  private final LongAdder writes = new LongAdder();
  private final LongAdder flushes = new LongAdder();
  private final LongAdder bytesDirtied = new LongAdder();
  private final LongAdder bytesFlushed = new LongAdder();
  private final LongAdder throttles = new LongAdder();
  /** Delalloc bytes as the tree's hooks account them, like btrfs's {@code delalloc_bytes}. */
  private final AtomicLong hookDelalloc = new AtomicLong();

  private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
  private volatile boolean stopWriters;
  private volatile boolean stopFlusher;

  /**
   * Creates the simulation.
   *
   * @param options the options
   * @param out where to print
   */
  public WritebackSimulation(DemoOptions options, PrintStream out) {
    this(options, out, new Hold(null, System.in, out));
  }

  WritebackSimulation(DemoOptions options, PrintStream out, Hold hold) {
    this.options = options;
    this.out = out;
    this.hold = hold;
  }

  /** Accounts delalloc bytes from the tree's hooks, called under the tree lock. */
  private final class DelallocAccounting implements ExtentHooks {
    @Override
    public void onSet(long start, long end, int oldBits, int bits) {
      if ((bits & DELALLOC) != 0 && (oldBits & DELALLOC) == 0) {
        hookDelalloc.addAndGet(end - start + 1);
      }
    }

    @Override
    public void onClear(long start, long end, int oldBits, int bits) {
      if ((bits & DELALLOC) != 0 && (oldBits & DELALLOC) != 0) {
        hookDelalloc.addAndGet(-(end - start + 1));
      }
    }
  }

  /**
   * Runs the simulation and prints its report.
   *
   * @return whether every check passed
   * @throws InterruptedException if interrupted
   */
  public boolean run() throws InterruptedException {
    Reservation.checkedMode(true); // hold-and-wait is an error, not a hang
    MemoryBudget budget = MemoryBudget.ofBytes("writeback", options.budgetBytes());
    long pages = options.fileBytes() / PAGE;
    out.printf(
        Locale.ROOT,
        "writeback: %d writers + 1 flusher for %.1f s on a %s file; budget %s; state reserve %d%n",
        options.threads(),
        options.duration().toMillis() / 1000.0,
        mib(pages * PAGE),
        mib(budget.limit()),
        options.reserve());

    SlabCache states = cache("extent_state", ExtentTreeBuilder.STATE_SIZE, budget);
    SlabCache bioCache = cache("bio", 64, budget); // the struct bio is larger than the part used here
    SlabCache orderedCache = cache("ordered_extent", 48, budget);
    List<SlabCache> caches = List.of(states, bioCache, orderedCache);
    // The headroom keeps the last eighth of the reserve for the flusher's clear, unlock and lockForReclaim
    // (RECLAIMING): writers are throttled long before, at a quarter of the reserve in use.
    int headroom = Math.min(options.reserve() - 1, Math.max(1, options.reserve() / 8));
    Mempool statePool =
        Mempool.builder("extent_state_pool", states).minNr(options.reserve()).headroom(headroom).build();
    Mempool bios = Mempool.builder("bio_pool", bioCache).minNr(4).build();
    Mempool ordered = Mempool.builder("ordered_pool", orderedCache).minNr(4).build();
    ExtentTree tree =
        ExtentTree.builder("inode-257").pool(statePool).hooks(new DelallocAccounting()).build();
    if (options.jmx()) {
      JmxReport.print(
          out,
          List.of(
              states.registerMBean(),
              bioCache.registerMBean(),
              orderedCache.registerMBean(),
              statePool.registerMBean(),
              bios.registerMBean(),
              ordered.registerMBean()));
    }

    List<Thread> writers = new ArrayList<>();
    for (int i = 0; i < options.threads(); i++) {
      long seed = options.seed() * 1_000_003 + i;
      writers.add(worker("writer-" + i, () -> writer(tree, statePool, pages, seed)));
    }
    Reservation bioAndOrdered = Reservation.of(bios, 1).and(ordered, 1).build();
    Thread flusher = worker("flusher", () -> flusher(tree, bios, ordered, bioAndOrdered));

    boolean progressOk = progress(tree, statePool, states, budget, writers);
    // Stop everyone at once, so the checks below see a tree with dirty ranges left in it.
    stopWriters = true;
    stopFlusher = true;
    joinAll(writers, Duration.ofSeconds(30));
    join(flusher, Duration.ofSeconds(30));

    out.println();
    out.print(SlabInfo.render(caches));
    out.println();
    printMempool(statePool.mempoolStatistics());
    printMempool(bios.mempoolStatistics());
    printMempool(ordered.mempoolStatistics());
    ReservationStatistics rs = bioAndOrdered.statistics();
    out.printf(
        Locale.ROOT,
        "reservation bio+ordered: %d acquisitions, %d waited (total %.1f ms, max %.2f ms), max overtaken %d%n",
        rs.acquisitions(),
        rs.waits(),
        rs.totalWaitNanos() / 1e6,
        rs.maxWaitNanos() / 1e6,
        rs.maxOvertaken());
    out.printf(
        Locale.ROOT,
        "tree: %d writes, %d flushes, %d range-lock waits, %d refills; writers throttled %d times%n",
        writes.sum(),
        flushes.sum(),
        tree.lockWaits(),
        tree.refills(),
        throttles.sum());
    out.println();
    hold.await(); // --hold: everything is still open for a JMX client

    Checks checks = new Checks(out);
    checks.check("no thread failed", failure.get() == null, String.valueOf(failure.get()));
    checks.check("progress was made every second", progressOk, "a stall was reported above");
    checkTree(checks, tree);
    long reserveHits = statePool.mempoolStatistics().reserveHits();
    checks.note(
        reserveHits > 0
            ? "the state reserve was used: " + reserveHits + " states came from it when the slab cache ran dry"
            : "the state reserve was not needed (budget large enough); try a smaller --budget");
    // Tear down in order, checking that every object came back at each level.
    closeTree(checks, tree);
    checkPool(checks, statePool);
    checkPool(checks, bios);
    checkPool(checks, ordered);
    checks.close(statePool);
    checks.close(bios);
    checks.close(ordered);
    for (SlabCache c : caches) {
      String leaks = c.leakReport();
      checks.check("slab cache " + c.name() + ": every object was returned", leaks.isEmpty(), leaks);
      checks.close(c);
    }
    checks.check(
        "budget: every slab was released", budget.used() == 0, budget.used() + " bytes still charged");
    return checks.report("writeback");
  }

  private SlabCache cache(String name, long size, MemoryBudget budget) {
    SlabCacheBuilder b =
        SlabCache.builder(name).objectSize(size).slabSize(4096).magazineSize(16).budget(budget);
    if (options.slabDebug() != null) {
      b.debug(options.slabDebug());
    }
    if (options.jmx()) {
      b.jmx(true);
    }
    return b.build();
  }

  private Thread worker(String name, Body body) {
    return Thread.ofPlatform()
        .name(name)
        .start(
            () -> {
              try {
                body.run();
              } catch (Throwable e) {
                failure.compareAndSet(null, e);
                stopWriters = true;
                stopFlusher = true;
              }
            });
  }

  private interface Body {
    void run() throws Exception;
  }

  /** One writer: dirty random page ranges, as buffered writes do. */
  private void writer(ExtentTree tree, Mempool statePool, long pages, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    CachedState cached = new CachedState();
    ExtentChangeset changed = new ExtentChangeset();
    int throttleBelow = statePool.minNr() - statePool.minNr() / 4;
    while (!stopWriters) {
      // balance_dirty_pages: once a quarter of the reserve is in use, let writeback catch up.
      if (statePool.reserveLevel() < throttleBelow) {
        throttles.increment();
        while (!stopWriters && statePool.reserveLevel() < statePool.minNr()) {
          LockSupport.parkNanos(200_000);
        }
        continue;
      }
      int n = 1 + rnd.nextInt(MAX_WRITE_PAGES);
      long page = rnd.nextLong(pages - n + 1);
      long start = page * PAGE;
      long end = start + n * PAGE - 1;
      tree.lock(start, end, LOCKED, cached);
      tree.set(start, end, DELALLOC | DIRTY, changed, cached);
      tree.unlock(start, end, LOCKED, cached);
      bytesDirtied.add(changed.bytesChanged());
      changed.reset();
      writes.increment();
      ops.add(3);
    }
  }

  /** The flusher: sweep the file for delalloc ranges and write them back. */
  private void flusher(ExtentTree tree, Mempool bios, Mempool ordered, Reservation bioAndOrdered) {
    RangeResult found = new RangeResult();
    CachedState cached = new CachedState();
    ExtentChangeset changed = new ExtentChangeset();
    Flyweight bioView = new Flyweight(BIO, bios);
    Flyweight orderedView = new Flyweight(ORDERED, ordered);
    long from = 0;
    while (!stopFlusher) {
      if (!tree.findContiguous(from, DELALLOC, found)) {
        if (from == 0) {
          LockSupport.parkNanos(100_000); // nothing dirty: idle a little
        }
        from = 0;
        continue;
      }
      long start = found.start();
      long end = found.end();
      tree.lockForReclaim(start, end, LOCKED, cached); // the flusher locks in order to give memory back
      // Submit the I/O: one bio and one ordered extent, both or neither (a reservation), while the range
      // is locked. The reservation is closed before the next tree call: in checked mode a tree operation
      // (which may wait for extent states) on a thread holding an open reservation would be hold-and-wait.
      bioAndOrdered.reacquire();
      long bio = bioAndOrdered.take(bios);
      long ord = bioAndOrdered.take(ordered);
      bioAndOrdered.close();
      submit(bioView.wrap(bio), orderedView.wrap(ord), start, end);
      bios.free(bio);
      ordered.free(ord);
      // I/O done: clear delalloc and dirty, recording how many bytes were written, then unlock.
      tree.clear(start, end, DELALLOC | DIRTY, changed, cached);
      tree.unlock(start, end, LOCKED, cached);
      bytesFlushed.add(changed.bytesChanged());
      changed.reset();
      flushes.increment();
      ops.add(4);
      from = end + 1;
    }
  }

  /** A bio: the first byte and the length of the range it writes. */
  static final StructLayout BIO =
      MemoryLayout.structLayout(JAVA_LONG.withName("sector"), JAVA_LONG.withName("length"));

  /** An ordered extent: the range [start, end] whose writeback it tracks. */
  static final StructLayout ORDERED =
      MemoryLayout.structLayout(JAVA_LONG.withName("start"), JAVA_LONG.withName("end"));

  private static final LongField BIO_SECTOR = LongField.of(BIO, "sector");
  private static final LongField BIO_LENGTH = LongField.of(BIO, "length");
  private static final LongField ORDERED_START = LongField.of(ORDERED, "start");
  private static final LongField ORDERED_END = LongField.of(ORDERED, "end");

  /** Fills the bio and the ordered extent through the flusher's reusable flyweights (no garbage per I/O). */
  private static void submit(Flyweight bio, Flyweight ordered, long start, long end) {
    BIO_SECTOR.set(bio, start);
    BIO_LENGTH.set(bio, end - start + 1);
    ORDERED_START.set(ordered, start);
    ORDERED_END.set(ordered, end);
    if (BIO_SECTOR.get(bio) != ORDERED_START.get(ordered)
        || BIO_LENGTH.get(bio) != ORDERED_END.get(ordered) - ORDERED_START.get(ordered) + 1) {
      throw new IllegalStateException("bio and ordered extent disagree");
    }
  }

  /** Prints a progress line every second until the duration is over; false if progress stalled. */
  private boolean progress(
      ExtentTree tree, Mempool statePool, SlabCache states, MemoryBudget budget, List<Thread> writers)
      throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + options.duration().toNanos();
    long lastOps = 0;
    long lastTick = t0;
    int stalledSeconds = 0;
    while (failure.get() == null) {
      long now = System.nanoTime();
      if (now >= deadline) {
        return true;
      }
      long next = Math.min(deadline, lastTick + TimeUnit.SECONDS.toNanos(1));
      TimeUnit.NANOSECONDS.sleep(Math.max(0, next - now));
      now = System.nanoTime();
      long o = ops.sum();
      double secs = (now - lastTick) / 1e9;
      if (secs < 0.2) {
        return true;
      }
      MempoolStatistics ms = statePool.mempoolStatistics();
      SlabStatistics ss = states.slabStatistics();
      out.printf(
          Locale.ROOT,
          "[%4.1fs] %7.0f ops/s  extents %5d  slab objs %5d/%-5d  reserve %3d/%d  budget %3d%%"
              + "  waits: pool %d, lock %d, throttled %d  delalloc %s%n",
          (now - t0) / 1e9,
          (o - lastOps) / secs,
          tree.stateCount(),
          ss.activeObjects(),
          ss.totalObjects(),
          ms.reserveLevel(),
          ms.minNr(),
          budget.used() * 100 / budget.limit(),
          ms.waits(),
          tree.lockWaits(),
          throttles.sum(),
          mib(Math.max(0, hookDelalloc.get())));
      stalledSeconds = o == lastOps ? stalledSeconds + 1 : 0;
      if (stalledSeconds >= 10) {
        out.println("STALL: no operation completed for 10 s; thread states:");
        for (Thread w : writers) {
          out.println("  " + w.getName() + ": " + w.getState());
        }
        return false;
      }
      lastOps = o;
      lastTick = now;
    }
    return true;
  }

  private void checkTree(Checks checks, ExtentTree tree) {
    String bad = "";
    try {
      tree.verify();
    } catch (IllegalStateException e) {
      bad = String.valueOf(e.getMessage());
    }
    checks.check("extent tree: red-black and merge invariants hold", bad.isEmpty(), bad);
    long inTree = tree.countBytes(0, Long.MAX_VALUE, Long.MAX_VALUE, DELALLOC, false);
    long expected = bytesDirtied.sum() - bytesFlushed.sum();
    checks.check(
        "delalloc bytes left at the end: tree " + mib(inTree) + " = hooks " + mib(hookDelalloc.get())
            + " = dirtied - flushed " + mib(expected),
        inTree == hookDelalloc.get() && inTree == expected,
        "the three counts disagree");
    // Final writeback (sync) of what is left, on this thread: the tree must end up empty.
    RangeResult found = new RangeResult();
    ExtentChangeset changed = new ExtentChangeset();
    while (tree.findContiguous(0, DELALLOC, found)) {
      tree.lock(found.start(), found.end());
      tree.clear(found.start(), found.end(), DELALLOC | DIRTY, changed, null);
      tree.unlock(found.start(), found.end());
      bytesFlushed.add(changed.bytesChanged());
      changed.reset();
    }
    checks.check(
        "every dirtied byte was written back exactly once: " + mib(bytesDirtied.sum()),
        bytesDirtied.sum() == bytesFlushed.sum() && hookDelalloc.get() == 0,
        "flushed " + bytesFlushed.sum() + ", hooks say " + hookDelalloc.get() + " still delalloc");
    checks.check(
        "extent tree: empty after the final flush, no waiters",
        tree.isEmpty() && tree.waiterCount() == 0,
        tree.stateCount() + " states left: " + tree.states());
  }

  private static void closeTree(Checks checks, ExtentTree tree) {
    String bad = "";
    try {
      tree.close();
    } catch (IllegalStateException e) {
      bad = String.valueOf(e.getMessage());
    }
    checks.check("extent tree: closed, every state freed", bad.isEmpty(), bad);
  }

  private static void checkPool(Checks checks, Mempool pool) {
    MempoolStatistics s = pool.mempoolStatistics();
    checks.check(
        "mempool " + s.name() + ": every object returned, reserve full (" + s.reserveLevel() + "/" + s.minNr() + ")",
        s.liveObjects() == 0 && s.reserveLevel() == s.minNr() && s.waiting() == 0,
        s.liveObjects() + " live, reserve " + s.reserveLevel() + ", " + s.waiting() + " waiting");
  }

  private void printMempool(MempoolStatistics s) {
    out.printf(
        Locale.ROOT,
        "mempool %-17s minNr %3d reserve %3d  allocs %9d = backing %9d + reserve %6d  waits %d"
            + " (total %.1f ms, max %.2f ms)%n",
        s.name(),
        s.minNr(),
        s.reserveLevel(),
        s.allocations(),
        s.backingHits(),
        s.reserveHits(),
        s.waits(),
        s.totalWaitNanos() / 1e6,
        s.maxWaitNanos() / 1e6);
  }

  /** Formats bytes as KiB, MiB or GiB with one decimal. */
  static String mib(long bytes) {
    if (bytes < 1L << 20) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    if (bytes < 1L << 30) {
      return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
    return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
  }

  static void joinAll(List<Thread> threads, Duration limit) throws InterruptedException {
    for (Thread t : threads) {
      join(t, limit);
    }
  }

  static void join(Thread t, Duration limit) throws InterruptedException {
    if (!t.join(limit)) {
      throw new IllegalStateException(t.getName() + " did not finish within " + limit);
    }
  }
}
