package io.github.slabkit.examples;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.MempoolStatistics;
import io.github.slabkit.mempool.Reservation;
import io.github.slabkit.mempool.ReservationStatistics;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabCacheBuilder;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * The deadlock of the 2011 btrfs thread, shown and then avoided. Two small pools, {@code pool-a} and
 * {@code pool-b}, whose slab caches share a budget that holds nothing beyond the pools' reserves; many
 * threads, each needing one object from each pool per operation, half of them taking {@code pool-a} first
 * and half {@code pool-b} first.
 *
 * <ol>
 *   <li>Naive: one blocking allocation per object. Thread 1 holds A and waits for B while thread 2 holds B
 *       and waits for A: a watchdog sees no progress, reports which threads hold and wait on which pool,
 *       and releases them (an interrupt ends {@link Mempool#allocateInterruptibly()}).
 *   <li>Reservations: each operation declares both objects up front and gets both or neither; a waiting
 *       reservation holds nothing, so the cycle cannot form. The same load completes.
 *   <li>Checked mode: a blocking allocation while holding an open reservation is rejected with an
 *       explanation instead of risking the same hang.
 * </ol>
 */
public final class AbbaScenario {
  private static final int OPERATIONS = 100;
  private static final int ATTEMPTS = 5;

  private final DemoOptions options;
  private final PrintStream out;
  private final Hold hold;

  /**
   * Creates the scenario.
   *
   * @param options the options
   * @param out where to print
   */
  public AbbaScenario(DemoOptions options, PrintStream out) {
    this(options, out, new Hold(null, System.in, out));
  }

  AbbaScenario(DemoOptions options, PrintStream out, Hold hold) {
    this.options = options;
    this.out = out;
    this.hold = hold;
  }

  /** What a worker thread is doing, for the watchdog's report. */
  private record Status(String holds, String waitsFor) {
    static final Status IDLE = new Status("", "");
  }

  private interface Operation {
    void run(int thread, AtomicReferenceArray<Status> status) throws InterruptedException;
  }

  /**
   * Runs the scenario and prints its report.
   *
   * @return whether it behaved as expected: the naive way deadlocked and was detected, the reservation way
   *     completed, checked mode caught hold-and-wait, and every object came back
   * @throws InterruptedException if interrupted
   */
  public boolean run() throws InterruptedException {
    Reservation.checkedMode(true);
    int threads = options.abbaThreads();
    int minNr = options.poolSize();
    long slabBytes = probeSlabBytes(minNr);
    // Room for exactly one slab per cache: the pools' reserves are all the memory there is.
    MemoryBudget budget = MemoryBudget.ofBytes("abba", 2 * slabBytes);
    SlabCache slabA = cache("abba-a", minNr, budget);
    SlabCache slabB = cache("abba-b", minNr, budget);
    Mempool a = Mempool.builder("pool-a", slabA).minNr(minNr).waitTimeout(Duration.ofMillis(50)).build();
    Mempool b = Mempool.builder("pool-b", slabB).minNr(minNr).waitTimeout(Duration.ofMillis(50)).build();
    out.printf(
        Locale.ROOT,
        "abba: %d threads, each operation needs 1 object of pool-a and 1 of pool-b (reserves of %d, budget %d B:"
            + " nothing beyond the reserves); even threads take pool-a first, odd threads pool-b first%n",
        threads,
        minNr,
        budget.limit());
    if (options.jmx()) {
      JmxReport.print(out, List.of(slabA.registerMBean(), slabB.registerMBean(), a.registerMBean(), b.registerMBean()));
    }
    Checks checks = new Checks(out);

    // 1. naive: hold one, block for the other. Checked mode would reject this pattern at once (part 3
    // shows it), so it is off here: this part shows what happens without it.
    Reservation.checkedMode(false);
    out.println();
    out.println("1. naive per-object blocking allocation (checked mode off)");
    Operation naive =
        (id, status) -> {
          Mempool first = id % 2 == 0 ? a : b;
          Mempool second = id % 2 == 0 ? b : a;
          status.set(id, new Status("", first.name()));
          long x = first.allocateInterruptibly();
          try {
            status.set(id, new Status(first.name(), ""));
            Thread.sleep(2); // work with the first object before the second is needed
            status.set(id, new Status(first.name(), second.name()));
            long y = second.allocateInterruptibly(); // hold-and-wait
            second.free(y);
          } finally {
            first.free(x);
            status.set(id, Status.IDLE);
          }
        };
    boolean deadlocked = false;
    for (int attempt = 1; attempt <= ATTEMPTS && !deadlocked; attempt++) {
      Outcome o = runThreads("naive", naive, threads, a, b, true);
      deadlocked = o.deadlocked();
      if (!deadlocked) {
        out.println("   attempt " + attempt + ": all operations finished without a deadlock; trying again");
      }
    }
    checks.check(
        "naive: the ABBA deadlock happened and the watchdog detected it",
        deadlocked,
        "no deadlock in " + ATTEMPTS + " attempts (try more --threads or a smaller --pool-size)");

    // 2. reservations: all or nothing
    Reservation.checkedMode(true);
    out.println();
    out.println("2. the same work through reservations (all or nothing, checked mode on)");
    AtomicReferenceArray<Reservation> reservations = new AtomicReferenceArray<>(threads);
    for (int i = 0; i < threads; i++) {
      Mempool first = i % 2 == 0 ? a : b;
      Mempool second = i % 2 == 0 ? b : a;
      reservations.set(i, Reservation.of(first, 1).and(second, 1).build()); // reusable, zero garbage
    }
    Operation reserved =
        (id, status) -> {
          Mempool first = id % 2 == 0 ? a : b;
          Mempool second = id % 2 == 0 ? b : a;
          Reservation r = reservations.get(id);
          status.set(id, new Status("", first.name() + "+" + second.name()));
          r.reacquire();
          try {
            status.set(id, new Status(first.name() + "+" + second.name(), ""));
            long x = r.take(first);
            Thread.sleep(2);
            long y = r.take(second);
            second.free(y);
            first.free(x);
          } finally {
            r.close();
            status.set(id, Status.IDLE);
          }
        };
    Outcome done = runThreads("reserved", reserved, threads, a, b, false);
    checks.check(
        "reservations: all " + (long) threads * OPERATIONS + " operations completed",
        done.completed() == (long) threads * OPERATIONS && !done.deadlocked() && done.failure() == null,
        done.completed() + " completed" + (done.failure() != null ? ", failure: " + done.failure() : ""));
    long acq = 0;
    long waits = 0;
    long maxWait = 0;
    for (int i = 0; i < threads; i++) {
      ReservationStatistics s = reservations.get(i).statistics();
      acq += s.acquisitions();
      waits += s.waits();
      maxWait = Math.max(maxWait, s.maxWaitNanos());
    }
    out.printf(
        Locale.ROOT,
        "   reservations: %d acquisitions, %d had to wait (holding nothing), longest wait %.2f ms%n",
        acq,
        waits,
        maxWait / 1e6);

    // 3. checked mode
    out.println();
    out.println("3. checked mode: a blocking allocation while holding a reservation");
    String message = "";
    try (Reservation r = Reservation.of(a, 1).acquire()) {
      try {
        long h = b.allocate(); // hold-and-wait: rejected in checked mode
        b.free(h);
      } catch (IllegalStateException e) {
        message = String.valueOf(e.getMessage());
      }
      out.println("   holding " + r + "; b.allocate() said:");
    }
    out.println("   " + message);
    checks.check("checked mode: hold-and-wait was rejected with an explanation", !message.isEmpty(), "no exception");

    out.println("   the naive pattern: holding an object of pool-a, a blocking b.allocate() on a drained pool-b said:");
    String naiveMessage = "";
    long[] drained = new long[minNr];
    Thread drainer = Thread.ofPlatform().start(() -> {
      for (int i = 0; i < drained.length; i++) {
        drained[i] = b.allocate(); // another thread holds all of pool-b
      }
    });
    drainer.join();
    long x = a.allocate();
    try {
      long y = b.allocate(); // hold-and-wait on a drained pool: rejected before it blocks
      b.free(y);
    } catch (IllegalStateException e) {
      naiveMessage = String.valueOf(e.getMessage());
    } finally {
      a.free(x);
      for (long h : drained) {
        b.free(h);
      }
    }
    out.println("   " + naiveMessage);
    checks.check(
        "checked mode: the naive pattern (hold one object, block for another) was rejected",
        naiveMessage.contains("hold-and-wait"),
        "no exception");

    out.println();
    printPool(a.mempoolStatistics());
    printPool(b.mempoolStatistics());
    hold.await(); // --hold: the pools are still open for a JMX client
    checkPool(checks, a);
    checkPool(checks, b);
    checks.close(a);
    checks.close(b);
    for (SlabCache c : List.of(slabA, slabB)) {
      String leaks = c.leakReport();
      checks.check("slab cache " + c.name() + ": every object was returned", leaks.isEmpty(), leaks);
      checks.close(c);
    }
    return checks.report("abba");
  }

  private record Outcome(boolean deadlocked, long completed, @Nullable Throwable failure) {}

  private Outcome runThreads(String label, Operation op, int threads, Mempool a, Mempool b, boolean expectDeadlock)
      throws InterruptedException {
    AtomicLong progress = new AtomicLong();
    AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    AtomicReferenceArray<Status> status = new AtomicReferenceArray<>(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      status.set(id, Status.IDLE);
      workers.add(
          Thread.ofPlatform()
              .name(label + "-" + id)
              .start(
                  () -> {
                    try {
                      go.await();
                      for (int i = 0; i < OPERATIONS; i++) {
                        op.run(id, status);
                        progress.incrementAndGet();
                      }
                    } catch (InterruptedException e) {
                      // released by the watchdog: holds nothing now
                    } catch (Throwable e) {
                      failure.compareAndSet(null, e);
                    }
                  }));
    }
    long t0 = System.nanoTime();
    go.countDown();
    // The naive run is expected to stall: the watchdog's limit applies. The reservation run is expected to
    // complete: only a long stall (10 s, or the limit if longer) counts, so a busy machine is not a deadlock.
    long still = expectDeadlock
        ? options.watchdog().toNanos()
        : Math.max(options.watchdog().toNanos(), Duration.ofSeconds(10).toNanos());
    long last = -1;
    long lastChange = System.nanoTime();
    boolean deadlocked = false;
    while (workers.stream().anyMatch(Thread::isAlive)) {
      TimeUnit.MILLISECONDS.sleep(20);
      long p = progress.get();
      long now = System.nanoTime();
      if (p != last) {
        last = p;
        lastChange = now;
      } else if (now - lastChange >= still) {
        deadlocked = true;
        report(workers, status, a, b, p, (now - lastChange) / 1e6, expectDeadlock);
        for (Thread w : workers) {
          w.interrupt(); // allocateInterruptibly() gives up; each thread frees what it holds and ends
        }
        break;
      }
    }
    WritebackSimulation.joinAll(workers, Duration.ofSeconds(30));
    if (!deadlocked) {
      out.printf(
          Locale.ROOT,
          "   %s: %d operations completed in %.0f ms%n",
          label,
          progress.get(),
          (System.nanoTime() - t0) / 1e6);
    } else {
      out.println("   watchdog released the threads; reserves now pool-a " + a.reserveLevel() + "/" + a.minNr()
          + ", pool-b " + b.reserveLevel() + "/" + b.minNr());
    }
    return new Outcome(deadlocked, progress.get(), failure.get());
  }

  private void report(
      List<Thread> workers,
      AtomicReferenceArray<Status> status,
      Mempool a,
      Mempool b,
      long completed,
      double stillMillis,
      boolean expected) {
    MempoolStatistics sa = a.mempoolStatistics();
    MempoolStatistics sb = b.mempoolStatistics();
    out.printf(
        Locale.ROOT,
        "   %s: no operation completed for %.0f ms (%d done before); pool-a reserve %d/%d with %d waiting,"
            + " pool-b reserve %d/%d with %d waiting%n",
        expected ? "DEADLOCK detected by the watchdog" : "UNEXPECTED STALL",
        stillMillis,
        completed,
        sa.reserveLevel(),
        sa.minNr(),
        sa.waiting(),
        sb.reserveLevel(),
        sb.minNr(),
        sb.waiting());
    for (int i = 0; i < workers.size(); i++) {
      Status s = status.get(i);
      Thread w = workers.get(i);
      String what;
      if (!s.waitsFor().isEmpty() && !s.holds().isEmpty()) {
        what = "holds 1 of " + s.holds() + ", waits for " + s.waitsFor();
      } else if (!s.waitsFor().isEmpty()) {
        what = "holds nothing, waits for " + s.waitsFor();
      } else if (!s.holds().isEmpty()) {
        what = "holds " + s.holds();
      } else {
        what = "idle";
      }
      out.println("     " + w.getName() + " (" + w.getState() + "): " + what);
    }
    out.println(
        "   every object of each pool is held by a thread that waits for the other pool: a cycle"
            + " no free() can break");
  }

  private void checkPool(Checks checks, Mempool pool) {
    MempoolStatistics s = pool.mempoolStatistics();
    checks.check(
        "mempool " + s.name() + ": every object returned, reserve full",
        s.liveObjects() == 0 && s.reserveLevel() == s.minNr() && s.waiting() == 0,
        s.liveObjects() + " live, reserve " + s.reserveLevel() + "/" + s.minNr());
  }

  private void printPool(MempoolStatistics s) {
    out.printf(
        Locale.ROOT,
        "mempool %-6s minNr %d  allocs %6d = backing %d + reserve %6d  waits %5d (max %.1f ms)%n",
        s.name(),
        s.minNr(),
        s.allocations(),
        s.backingHits(),
        s.reserveHits(),
        s.waits(),
        s.maxWaitNanos() / 1e6);
  }

  private SlabCache cache(String name, int perSlab, MemoryBudget budget) {
    SlabCacheBuilder builder = SlabCache.builder(name).objectSize(64).objectsPerSlab(perSlab).budget(budget);
    if (options.slabDebug() != null) {
      builder.debug(options.slabDebug());
    }
    return builder.build();
  }

  private long probeSlabBytes(int perSlab) {
    try (SlabCache probe = cache("abba-probe", perSlab, MemoryBudget.unlimited())) {
      return probe.slabStatistics().slabBytes();
    }
  }
}
