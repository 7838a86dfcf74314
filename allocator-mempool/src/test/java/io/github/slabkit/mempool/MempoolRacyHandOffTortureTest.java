package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A mempool over a slab cache whose budget is one slab, so that allocations run the backing dry and live on
 * the reserve, while the handles travel from the allocating threads to the freeing threads without a
 * happens-before edge from the allocation (an opaque store read by an opaque load, the case for which a
 * free tests the reserve a second time behind mempool_free's fence, and takes an object back from the
 * backing allocator when that test finds the reserve short). Producers call the blocking {@code allocate()},
 * which never fails and waits for frees into the reserve, so a free that fails to refill the reserve shows
 * as a stall: a watchdog requires progress every few seconds. Every handle is live in one place at a time
 * (a second hand-out of one object fails the test), and at the end the reserve is full and every object is
 * back.
 *
 * <p>On x86 this cannot show a weak-memory reordering (jcstress's {@code MempoolRacyPublicationFreeTest}
 * is the check of the fences); it shows that the two tests and the take-back keep the reserve and the
 * objects right when takes from the reserve race frees on every core.
 */
class MempoolRacyHandOffTortureTest {
  private static final int SECONDS = 3;
  private static final int SLOTS = 4096;
  private static final int MIN_NR = 16;
  private static final long STALL_NANOS = Duration.ofSeconds(15).toNanos();

  @Test
  void handlesThatTravelWithoutHappensBeforeKeepTheReserveFullAndLoseNothing() throws Exception {
    SlabCache slab = SlabCache.builder("racy-hand-off")
        .objectSize(64)
        .budget(MemoryBudget.ofBytes("racy-hand-off", 64 * 1024))
        .maxWait(Duration.ofMillis(1))
        .build();
    Mempool pool = Mempool.builder("racy-hand-off", slab).minNr(MIN_NR).waitTimeout(Duration.ofMillis(50)).build();
    AtomicLongArray slots = new AtomicLongArray(SLOTS);
    Set<Long> live = ConcurrentHashMap.newKeySet();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong progress = new AtomicLong();
    AtomicLong producersLeft = new AtomicLong(2);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      int first = p * (SLOTS / 2);
      threads.add(Thread.ofPlatform().name("producer-" + p).start(() -> {
        try {
          int i = first;
          while (!stop.get()) {
            long h = pool.allocate();
            if (!live.add(h)) {
              throw new AssertionError("handle 0x" + Long.toHexString(h) + " handed out while live");
            }
            while (slots.getOpaque(i) != 0) { // wait for a consumer to empty the slot
              Thread.onSpinWait();
            }
            slots.setOpaque(i, h); // no release: the consumer's read has no happens-before edge to this
            i = i + 1 == first + SLOTS / 2 ? first : i + 1;
            progress.incrementAndGet();
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        } finally {
          producersLeft.decrementAndGet();
        }
      }));
    }
    for (int c = 0; c < 2; c++) {
      int offset = c;
      threads.add(Thread.ofPlatform().name("consumer-" + c).start(() -> {
        try {
          int i = offset;
          while (producersLeft.get() > 0 || anyLeft(slots)) {
            long h = slots.getOpaque(i);
            if (h != 0 && slots.weakCompareAndSetPlain(i, h, 0)) {
              live.remove(h); // before the free: the next allocation may hand it out again at once
              pool.free(h);
              progress.incrementAndGet();
            }
            i = (i + 2) % SLOTS;
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      }));
    }
    long end = System.nanoTime() + Duration.ofSeconds(SECONDS).toNanos();
    long seen = -1;
    long seenAt = System.nanoTime();
    while (System.nanoTime() - end < 0 && failure.get() == null) {
      Thread.sleep(100);
      long now = progress.get();
      if (now != seen) {
        seen = now;
        seenAt = System.nanoTime();
      } else if (System.nanoTime() - seenAt > STALL_NANOS) {
        failure.compareAndSet(null, new AssertionError("no progress for 15 s: " + pool.mempoolStatistics()));
      }
    }
    stop.set(true);
    for (Thread t : threads) {
      t.join(30_000);
      assertTrue(!t.isAlive(), t.getName() + " did not end: " + pool.mempoolStatistics());
    }
    assertNull(failure.get(), () -> "failed: " + failure.get());
    assertTrue(progress.get() > 1000, "the threads made progress: " + progress.get());
    assertTrue(live.isEmpty(), "every handle was freed");
    MempoolStatistics st = pool.mempoolStatistics();
    // The scenario must have run the backing dry: objects came from the reserve and allocations waited.
    // (A first run counted 401,346 reserve hits, 74,633 waits and 4,604 take-backs after a free.)
    assertTrue(st.reserveHits() > 0 && st.waits() > 0, "the reserve was used and waited for: " + st);
    assertEquals(MIN_NR, pool.reserveLevel(), "the reserve is full once every object is back");
    assertEquals(MIN_NR, slab.slabStatistics().activeObjects(), "the slab cache holds only the reserve");
    pool.close();
    assertEquals(0, slab.slabStatistics().activeObjects(), "nothing lost");
    slab.close();
  }

  private static boolean anyLeft(AtomicLongArray slots) {
    for (int i = 0; i < slots.length(); i++) {
      if (slots.getOpaque(i) != 0) {
        return true;
      }
    }
    return false;
  }
}
