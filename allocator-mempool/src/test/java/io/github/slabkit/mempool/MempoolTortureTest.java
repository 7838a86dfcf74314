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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Exhaustion torture of the mempools and reservations (issue 10): four pools with small reserves over backing
 * allocators that are small and fail at random; platform and virtual threads mix kernel-correct nested
 * single-object allocation (one declared pool order, checked mode on), multi-pool reservations of random
 * pools, non-waiting allocations and cross-thread frees. A watchdog asserts progress every second; a stall
 * fails the test and prints who waits for what. At the end every object is back: no pool has a live object
 * and each backing allocator holds exactly its pool's reserve.
 *
 * <p>Runs {@value #CI_SECONDS} s by default; {@code -Dslabkit.torture.seconds=N} runs longer.
 */
class MempoolTortureTest {
  private static final int CI_SECONDS = 3;
  private static final int POOLS = 4;
  private static final int PLATFORM = 4;
  private static final int VIRTUAL = 8;

  private final List<TestAllocator> backings = new ArrayList<>();
  private final List<Mempool> pools = new ArrayList<>();
  private final Set<Long> live = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<long[]> handOff = new ConcurrentLinkedQueue<>();
  private final AtomicLong progress = new AtomicLong();
  private final AtomicBoolean stop = new AtomicBoolean();
  /** Workers still running: the freer drains the hand-off queue until none is left, or the last ones starve. */
  private final AtomicLong running = new AtomicLong(PLATFORM + VIRTUAL);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  @Test
  void noStallAndEveryObjectConserved() throws Exception {
    long seconds = Long.getLong("slabkit.torture.seconds", CI_SECONDS);
    Reservation.checkedMode(true);
    ReservationDomain domain = ReservationDomain.create("torture", Duration.ofMillis(5));
    try {
      for (int i = 0; i < POOLS; i++) {
        TestAllocator backing = new TestAllocator("backing-" + i, 16, 5 + i, 100 + i);
        backings.add(backing);
        pools.add(
            Mempool.builder("pool-" + i, backing)
                .minNr(3 + i)
                .allocationOrder(i + 1)
                .waitTimeout(Duration.ofMillis(5))
                .domain(domain)
                .build());
        backing.failWithProbability(0.3); // after the reserve is preallocated
      }
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < PLATFORM + VIRTUAL; t++) {
        long seed = 0x70e7_0000L + t;
        Thread.Builder b = t < PLATFORM ? Thread.ofPlatform() : Thread.ofVirtual();
        threads.add(b.name("torture-" + t).start(() -> work(new SplittableRandom(seed))));
      }
      threads.add(Thread.ofPlatform().name("torture-freer").start(this::freer));

      long end = System.nanoTime() + seconds * 1_000_000_000L;
      long last = progress.get();
      while (System.nanoTime() < end && failure.get() == null) {
        Thread.sleep(1000);
        long now = progress.get();
        if (now == last) {
          stop.set(true);
          throw new AssertionError("no operation completed for 1 s: a stall\n" + diagnose(domain, threads));
        }
        last = now;
      }
      stop.set(true);
      for (Thread t : threads) {
        t.join(Waiting.DEADLINE_MS);
        if (t.isAlive()) {
          throw new AssertionError(t.getName() + " did not stop\n" + diagnose(domain, threads));
        }
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      for (long[] o; (o = handOff.poll()) != null; ) {
        free((int) o[0], o[1]);
      }
      assertTrue(live.isEmpty(), live.size() + " objects never came back");
      System.out.println("mempool torture: " + progress.get() + " operations in " + seconds + " s");
      for (int i = 0; i < POOLS; i++) {
        Mempool p = pools.get(i);
        MempoolStatistics s = p.mempoolStatistics();
        System.out.println("  " + s);
        assertEquals(0, s.liveObjects(), p.name() + ": objects lost or counted twice");
        assertEquals(p.reserveLevel(), backings.get(i).live(), p.name() + ": the backing holds the reserve only");
        assertTrue(s.reserveHits() > 0, p.name() + ": the reserve was never used: no exhaustion was tested");
        p.close();
        assertEquals(0, backings.get(i).live());
      }
    } finally {
      stop.set(true);
      Reservation.checkedMode(false);
    }
  }

  private void work(SplittableRandom rnd) {
    long[] held = new long[POOLS];
    try {
      while (!stop.get() && failure.get() == null) {
        for (int k = 0; k < 2; k++) { // free others' objects while holding nothing
          long[] o = handOff.poll();
          if (o != null) {
            free((int) o[0], o[1]);
          }
        }
        int what = rnd.nextInt(10);
        if (what < 5) {
          nested(rnd, held);
        } else if (what < 9) {
          reserve(rnd);
        } else {
          int i = rnd.nextInt(POOLS);
          long h = pools.get(i).tryAllocate();
          if (h != 0) {
            got(h);
            finish(rnd, i, h);
          }
        }
        progress.incrementAndGet();
      }
    } catch (Throwable e) {
      failure.compareAndSet(null, e);
    } finally {
      running.decrementAndGet();
    }
  }

  /** Kernel-correct nesting: one blocking allocation from each of an increasing run of pools. */
  private void nested(SplittableRandom rnd, long[] held) {
    int n = 0;
    int[] which = new int[POOLS];
    for (int i = rnd.nextInt(POOLS); i < POOLS; i += 1 + rnd.nextInt(2)) {
      long h = pools.get(i).allocate();
      got(h);
      which[n] = i;
      held[n++] = h;
    }
    Thread.yield();
    for (int k = n - 1; k >= 0; k--) {
      finish(rnd, which[k], held[k]);
    }
  }

  private void reserve(SplittableRandom rnd) {
    Reservation.Builder b = null;
    int[] counts = new int[POOLS];
    for (int i = 0; i < POOLS; i++) {
      if (rnd.nextInt(3) == 0 || (i == POOLS - 1 && b == null)) {
        counts[i] = 1 + rnd.nextInt(2);
        b = b == null ? Reservation.of(pools.get(i), counts[i]) : b.and(pools.get(i), counts[i]);
      }
    }
    try (Reservation r = b.acquire()) {
      for (int i = 0; i < POOLS; i++) {
        int take = counts[i] == 0 ? 0 : rnd.nextInt(counts[i] + 1);
        for (int k = 0; k < take; k++) {
          long h = r.take(pools.get(i));
          got(h);
          finish(rnd, i, h);
        }
      }
    } // what was not taken goes back
  }

  /** Frees the object here, or hands it to another thread, which frees it. */
  private void finish(SplittableRandom rnd, int pool, long h) {
    if (rnd.nextBoolean()) {
      free(pool, h);
    } else {
      pools.get(pool).disown(h); // ownership moves with the object
      handOff.add(new long[] {pool, h});
    }
  }

  private void freer() {
    try {
      while (running.get() > 0 && failure.get() == null) {
        long[] o = handOff.poll();
        if (o == null) {
          Thread.onSpinWait();
          continue;
        }
        free((int) o[0], o[1]);
      }
    } catch (Throwable e) {
      failure.compareAndSet(null, e);
    }
  }

  private void got(long h) {
    if (h == 0) {
      throw new AssertionError("a blocking allocation returned no object");
    }
    if (!live.add(h)) {
      throw new AssertionError("handle 0x" + Long.toHexString(h) + " handed out twice while live");
    }
  }

  private void free(int pool, long h) {
    if (!live.remove(h)) {
      throw new AssertionError("freeing a handle that is not live");
    }
    pools.get(pool).free(h);
  }

  private String diagnose(ReservationDomain domain, List<Thread> threads) {
    StringBuilder sb = new StringBuilder("waiting in domain '").append(domain.name()).append("':\n");
    sb.append(domain.describeWaiters());
    for (Mempool p : pools) {
      sb.append("  ").append(p.mempoolStatistics()).append('\n');
    }
    for (TestAllocator b : backings) {
      sb.append("  ").append(b.name()).append(" live ").append(b.live()).append('\n');
    }
    sb.append("  objects in hand-off: ").append(handOff.size()).append('\n');
    for (Thread t : threads) {
      sb.append("  ").append(t.getName()).append(' ').append(t.getState()).append('\n');
    }
    return sb.toString();
  }
}
