package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Correct code only (checked mode on): reservations over two pools, threads that hold an object of C and
 * then allocate from A (the declared order, C before A), and single allocations, on pools whose backing
 * allocators give nothing beyond the reserves. Every thread must keep making progress; a watchdog fails the
 * test with a thread dump and the waiters instead of hanging. Several starving reservations at once are what
 * relayed claims with no window between them.
 */
class MempoolOrderedLivenessTortureTest {
  private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(4);

  @Test
  void orderedHoldersReservationsAndSinglesAllProgress() throws Exception {
    long seed = System.nanoTime();
    Reservation.checkedMode(true);
    try {
      for (int round = 0; round < 3; round++) {
        runRound(seed + round);
      }
    } finally {
      Reservation.checkedMode(false);
    }
  }

  private static void runRound(long seed) throws Exception {
    TestAllocator slabA = new TestAllocator("ol-a-backing", 16, 2, seed);
    TestAllocator slabC = new TestAllocator("ol-c-backing", 16, 2, seed + 1);
    ReservationDomain d = ReservationDomain.create("ol-torture", Duration.ofMillis(3));
    Mempool c = Mempool.builder("ol-c", slabC).minNr(2).allocationOrder(1).domain(d).build();
    Mempool a = Mempool.builder("ol-a", slabA).minNr(2).allocationOrder(2).domain(d).build();
    int threads = 6;
    AtomicLong[] progress = new AtomicLong[threads];
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(800);
    List<Thread> all = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int kind = t % 3;
      AtomicLong p = progress[t] = new AtomicLong();
      long s = seed * 31 + t;
      Thread th =
          new Thread(
              () -> {
                SplittableRandom rnd = new SplittableRandom(s);
                try {
                  while (System.nanoTime() < end) {
                    if (kind == 0) {
                      try (Reservation r =
                          Reservation.of(a, 1 + rnd.nextInt(2)).and(c, 1 + rnd.nextInt(2)).acquire()) {
                        a.free(r.take(a));
                      }
                    } else if (kind == 1) {
                      long hc = c.allocate();
                      long ha = a.allocate(); // C before A: the declared order
                      a.free(ha);
                      c.free(hc);
                    } else {
                      a.free(a.allocate());
                    }
                    p.incrementAndGet();
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              },
              "ol-worker-" + t);
      th.setDaemon(true); // a stuck uninterruptible wait must not keep the JVM
      all.add(th);
    }
    all.forEach(Thread::start);
    long[] last = new long[threads];
    long[] since = new long[threads];
    java.util.Arrays.fill(since, System.nanoTime());
    while (all.stream().anyMatch(Thread::isAlive)) {
      Thread.sleep(20);
      long now = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        long v = progress[t].get();
        if (v != last[t] || !all.get(t).isAlive()) {
          last[t] = v;
          since[t] = now;
        } else if (now - since[t] > STALL_NANOS) {
          StringBuilder sb =
              new StringBuilder("ol-worker-" + t + " made no progress for 4 s, seed " + seed + "\nwaiting:\n")
                  .append(d.describeWaiters());
          for (ThreadInfo ti : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
            if (ti.getThreadName().startsWith("ol-")) {
              sb.append(ti);
            }
          }
          fail(sb.toString());
        }
      }
    }
    if (failure.get() != null) {
      throw new AssertionError("seed " + seed, failure.get());
    }
    for (int t = 0; t < threads; t++) {
      if (progress[t].get() == 0) {
        fail("ol-worker-" + t + " never finished an operation, seed " + seed);
      }
    }
    assertEquals(0, d.waiting());
    a.close();
    c.close();
    assertEquals(0, slabA.live());
    assertEquals(0, slabC.live());
  }
}
