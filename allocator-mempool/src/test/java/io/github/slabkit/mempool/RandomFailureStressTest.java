package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many threads allocate and free through two mempools whose backing allocators fail at random (1% to 90%
 * of attempts): single blocking allocations, bulk allocations, reservations across both pools, tryAllocate.
 * No allocation may fail, no object may be handed out twice while live, and at the end every object is back
 * (conservation: the backing allocators hold exactly the reserves, and nothing after close).
 */
class RandomFailureStressTest {
  private static final int THREADS = 8;
  private static final int OPS = 2_000;

  @ParameterizedTest(name = "backing failure rate {0}")
  @ValueSource(doubles = {0.01, 0.1, 0.5, 0.9})
  void noAllocationFailsAndNothingIsLostOrDuplicated(double rate) throws Exception {
    // Checked mode stays off: the threads hold objects of a pool while they block on it, which checked mode
    // rightly reports as hold-and-wait; here it cannot deadlock because the backings hold 512 objects each
    // and fail only at random. MempoolTortureTest runs kernel-correct nesting under checked mode.
    Reservation.checkedMode(false);
    try (TestAllocator slabA = new TestAllocator("slab-a", 16, 512, 11);
        TestAllocator slabB = new TestAllocator("slab-b", 24, 512, 12)) {
      Mempool a = Mempool.builder("a", slabA).minNr(4).waitTimeout(Duration.ofMillis(2)).build();
      Mempool b = Mempool.builder("b", slabB).minNr(2).waitTimeout(Duration.ofMillis(2)).build();
      slabA.failWithProbability(rate);
      slabB.failWithProbability(rate);
      Set<Long> liveA = ConcurrentHashMap.newKeySet();
      Set<Long> liveB = ConcurrentHashMap.newKeySet();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        long seed = 0x5eed0000L + t + ((long) (rate * 1000)) * 31;
        threads.add(
            Thread.ofPlatform()
                .name("stress-" + t)
                .start(() -> work(new SplittableRandom(seed), a, b, liveA, liveB, failure)));
      }
      for (Thread t : threads) {
        t.join(Waiting.DEADLINE_MS);
        if (t.isAlive()) {
          throw new AssertionError(
              "stuck: " + a.mempoolStatistics() + " " + b.mempoolStatistics() + " slabA.live=" + slabA.live()
                  + " slabB.live=" + slabB.live() + " liveA=" + liveA.size() + " liveB=" + liveB.size());
        }
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      System.out.println("rate " + rate + ": " + a.mempoolStatistics() + "; " + b.mempoolStatistics());
      assertTrue(liveA.isEmpty() && liveB.isEmpty());
      assertEquals(0, a.mempoolStatistics().liveObjects(), "pool a: objects lost or counted twice");
      assertEquals(0, b.mempoolStatistics().liveObjects(), "pool b: objects lost or counted twice");
      assertEquals(a.reserveLevel(), slabA.live(), "pool a: the backing holds exactly the reserve");
      assertEquals(b.reserveLevel(), slabB.live(), "pool b: the backing holds exactly the reserve");
      assertTrue(a.reserveLevel() <= a.minNr() && b.reserveLevel() <= b.minNr());
      assertTrue(slabA.injectedFailures() > 0, "the fault injector never fired");
      a.close();
      b.close();
      assertEquals(0, slabA.live(), "close returns the reserve");
      assertEquals(0, slabB.live(), "close returns the reserve");
    } finally {
      Reservation.checkedMode(false);
    }
  }

  private static void work(
      SplittableRandom rnd,
      Mempool a,
      Mempool b,
      Set<Long> liveA,
      Set<Long> liveB,
      AtomicReference<Throwable> failure) {
    List<Long> heldA = new ArrayList<>();
    List<Long> heldB = new ArrayList<>();
    long[] bulk = new long[3];
    try {
      for (int op = 0; op < OPS && failure.get() == null; op++) {
        int what = rnd.nextInt(10);
        if (heldA.size() >= 6 || heldB.size() >= 4) {
          what = 9; // bound what a thread holds: the backing allocators must not run out for good
        }
        if (what <= 2 && heldA.size() < 4) {
          got(a.allocate(), heldA, liveA);
        } else if (what == 3 && heldB.size() < 3) {
          got(b.allocate(), heldB, liveB);
        } else if (what == 4 && heldA.size() < 4) {
          int k = 1 + rnd.nextInt(3);
          a.allocateBulk(bulk, k);
          for (int i = 0; i < k; i++) {
            got(bulk[i], heldA, liveA);
          }
        } else if (what <= 6) {
          int na = 1 + rnd.nextInt(2);
          try (Reservation r = Reservation.of(a, na).and(b, 1).acquire()) {
            int takeA = rnd.nextInt(na + 1);
            for (int i = 0; i < takeA; i++) {
              got(r.take(a), heldA, liveA);
            }
            if (rnd.nextBoolean()) {
              got(r.take(b), heldB, liveB);
            }
          } // the rest goes back
        } else if (what == 7) {
          Mempool p = rnd.nextBoolean() ? a : b;
          long h = p.tryAllocate();
          if (h != 0) {
            got(h, p == a ? heldA : heldB, p == a ? liveA : liveB);
          }
        } else {
          freeOne(rnd, a, heldA, liveA);
          freeOne(rnd, b, heldB, liveB);
        }
      }
      while (!heldA.isEmpty()) {
        freeOne(rnd, a, heldA, liveA);
      }
      while (!heldB.isEmpty()) {
        freeOne(rnd, b, heldB, liveB);
      }
    } catch (Throwable e) {
      failure.compareAndSet(null, e);
    }
  }

  private static void got(long h, List<Long> held, Set<Long> live) {
    if (h == 0) {
      throw new AssertionError("a blocking allocation returned no object");
    }
    if (!live.add(h)) {
      throw new AssertionError("handle 0x" + Long.toHexString(h) + " handed out twice while live");
    }
    held.add(h);
  }

  private static void freeOne(SplittableRandom rnd, Mempool p, List<Long> held, Set<Long> live) {
    if (held.isEmpty()) {
      return;
    }
    int i = rnd.nextInt(held.size());
    long h = held.get(i);
    held.set(i, held.get(held.size() - 1));
    held.remove(held.size() - 1);
    if (!live.remove(h)) {
      throw new AssertionError("freeing a handle that was not live");
    }
    p.free(h);
  }
}
