package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The deadlock of the 2011 btrfs thread, reproduced and defeated. Two pools with reserves of 2, backing
 * allocators that fail every allocation (the memory budget is exhausted), eight threads that each need one
 * object of each pool per operation, half of them taking pool A first and half pool B first.
 *
 * <p>Naive per-object blocking allocation deadlocks: a watchdog sees no progress while both reserves are
 * empty and every thread waits, the test asserts that, and then lets the backing allocators succeed again so
 * the waiters' retry-with-reclaim frees everyone and the build never hangs. The same workload through
 * reservations completes.
 */
class AbbaDeadlockTest {
  private static final int THREADS = 8;
  private static final int OPERATIONS = 40;

  private TestAllocator slabA;
  private TestAllocator slabB;
  private Mempool a;
  private Mempool b;

  @BeforeEach
  void setUp() {
    slabA = new TestAllocator("slab-a", 64, 256, 1);
    slabB = new TestAllocator("slab-b", 64, 256, 2);
    a = Mempool.builder("pool-a", slabA).minNr(2).waitTimeout(Duration.ofMillis(20)).build();
    b = Mempool.builder("pool-b", slabB).minNr(2).waitTimeout(Duration.ofMillis(20)).build();
    slabA.failAlways(true);
    slabB.failAlways(true);
  }

  @AfterEach
  void tearDown() {
    Reservation.checkedMode(false);
    try {
      a.close();
      b.close();
    } finally {
      slabA.close();
      slabB.close();
    }
  }

  private interface Operation {
    void run(int thread) throws InterruptedException;
  }

  private List<Thread> start(Operation op, AtomicLong progress, AtomicReference<Throwable> failure) {
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int id = t;
      threads.add(
          Thread.ofPlatform()
              .name("abba-" + id)
              .start(
                  () -> {
                    try {
                      go.await();
                      for (int i = 0; i < OPERATIONS; i++) {
                        op.run(id);
                        progress.incrementAndGet();
                      }
                    } catch (Throwable e) {
                      failure.compareAndSet(null, e);
                    }
                  }));
    }
    go.countDown();
    return threads;
  }

  /** Waits until no operation completes for a while although threads are alive; false if all finished. */
  private boolean watchdogSeesNoProgress(AtomicLong progress, List<Thread> threads) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    long last = -1;
    int stillFor = 0;
    while (System.nanoTime() < deadline) {
      Thread.sleep(50);
      boolean alive = threads.stream().anyMatch(Thread::isAlive);
      if (!alive) {
        return false;
      }
      long now = progress.get();
      stillFor = now == last ? stillFor + 1 : 0;
      last = now;
      if (stillFor >= 20) { // one second, fifty wait timeouts of retrying in vain
        return true;
      }
    }
    fail("watchdog: neither progress nor a stable stall in 20 s");
    return false;
  }

  @Test
  void naivePerObjectBlockingAllocationDeadlocks() throws Exception {
    AtomicLong progress = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Operation naive =
        id -> {
          Mempool first = id % 2 == 0 ? a : b;
          Mempool second = id % 2 == 0 ? b : a;
          long x = first.allocate();
          Thread.sleep(5); // work with the first object before the second is needed
          long y = second.allocate(); // hold-and-wait
          second.free(y);
          first.free(x);
        };
    boolean deadlocked = false;
    for (int attempt = 0; attempt < 5 && !deadlocked; attempt++) {
      List<Thread> threads = start(naive, progress, failure);
      deadlocked = watchdogSeesNoProgress(progress, threads);
      if (deadlocked) {
        assertEquals(0, a.reserveLevel(), "deadlocked with pool A's reserve empty");
        assertEquals(0, b.reserveLevel(), "deadlocked with pool B's reserve empty");
        assertEquals(
            THREADS,
            a.mempoolStatistics().waiting() + b.mempoolStatistics().waiting(),
            "every thread waits; the four holders each wait on the pool the other pair holds");
      }
      // Release: memory comes back; the waiters' retry-with-reclaim gets objects and everyone finishes.
      slabA.failAlways(false);
      slabB.failAlways(false);
      for (Thread t : threads) {
        Waiting.join(t);
      }
      slabA.failAlways(true);
      slabB.failAlways(true);
    }
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertTrue(deadlocked, "naive per-object allocation from two small pools should have deadlocked");
    assertEquals(0, a.mempoolStatistics().liveObjects());
    assertEquals(0, b.mempoolStatistics().liveObjects());
  }

  @Test
  void theSameWorkloadThroughReservationsCompletes() throws Exception {
    Reservation.checkedMode(true);
    for (int run = 0; run < 3; run++) {
      AtomicLong progress = new AtomicLong();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Operation reserved =
          id -> {
            Mempool first = id % 2 == 0 ? a : b;
            Mempool second = id % 2 == 0 ? b : a;
            try (Reservation r = Reservation.of(first, 1).and(second, 1).acquire()) {
              long x = r.take(first);
              Thread.sleep(1);
              long y = r.take(second);
              second.free(y);
              first.free(x);
            }
          };
      List<Thread> threads = start(reserved, progress, failure);
      for (Thread t : threads) {
        Waiting.join(t); // a deadlock here fails the test after the deadline instead of hanging
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      assertEquals((long) THREADS * OPERATIONS, progress.get());
      assertEquals(2, a.reserveLevel());
      assertEquals(2, b.reserveLevel());
      assertEquals(2, slabA.live(), "pool A's backing allocator gave nothing beyond the reserve");
      assertEquals(2, slabB.live(), "pool B's backing allocator gave nothing beyond the reserve");
    }
    assertEquals(0, a.mempoolStatistics().liveObjects());
    assertEquals(0, b.mempoolStatistics().liveObjects());
  }
}
