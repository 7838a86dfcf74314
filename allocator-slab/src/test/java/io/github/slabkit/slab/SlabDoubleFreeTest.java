package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.slabkit.allocator.InvalidHandleException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, item 5: with debugging off, every double free of an object that is cached (in a magazine, the
 * depot or its slab) throws {@link InvalidHandleException}, the object is never handed out twice, and
 * {@code activeObjects} never goes negative; on platform and on virtual threads.
 */
class SlabDoubleFreeTest {

  private static SlabCache cache(String name, int magazineSize) {
    return SlabCache.builder(name).objectSize(24).objectsPerSlab(8).magazineSize(magazineSize).build();
  }

  private static void assertDoubleFree(SlabCache c, long h) {
    InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> c.free(h));
    assertTrue(e.getMessage().contains("double free"), e.getMessage());
  }

  @Test
  void doubleFreeOfAnObjectBelowTheTopOfTheMagazineIsRefused() {
    try (SlabCache c = cache("df-magazine", 8)) {
      long a = c.allocate();
      long b = c.allocate();
      c.free(a);
      c.free(b);
      assertDoubleFree(c, a);
      long x = c.allocate();
      long y = c.allocate();
      assertTrue(x != y, "one object handed out twice");
      assertEquals(2, c.slabStatistics().activeObjects());
      assertEquals(1, c.slabStatistics().doubleFrees(), "the refused double free is counted");
      c.free(x);
      c.free(y);
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  @Test
  void doubleFreeOfAnObjectInTheDepotIsRefused() {
    try (SlabCache c = cache("df-depot", 1)) {
      long a = c.allocate();
      long b = c.allocate();
      long d = c.allocate();
      c.free(a);
      c.free(b);
      c.free(d); // a's magazine went to the depot
      assertDoubleFree(c, a);
      Set<Long> out = new HashSet<>();
      for (int i = 0; i < 3; i++) {
        assertTrue(out.add(c.allocate()), "one object handed out twice");
      }
      assertEquals(3, c.slabStatistics().activeObjects());
      for (long h : out) {
        c.free(h);
      }
    }
  }

  @Test
  void doubleFreeOfAnObjectInItsSlabIsRefused() {
    try (SlabCache c = cache("df-slab", 2)) {
      long keep = c.allocate(); // keeps the slab from being released
      long a = c.allocate();
      c.free(a);
      c.shrink(); // a goes back to its slab
      assertTrue(c.slabStatistics().totalSlabs() == 1);
      assertDoubleFree(c, a);
      assertEquals(1, c.slabStatistics().activeObjects());
      c.free(keep);
    }
  }

  @Test
  void freeOfAHandleWhoseSlabWasReleasedIsRefused() {
    try (SlabCache c = cache("df-released", 2)) {
      long a = c.allocate();
      c.free(a);
      c.shrink(); // the slab is empty and released
      InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> c.free(a));
      assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }

  /** A seeded random walk against a model: every double free throws and nothing goes out twice. */
  @Test
  void randomWalkNeverAcceptsADoubleFreeNorHandsAnObjectOutTwice() {
    for (long seed = 1; seed <= 20; seed++) {
      Random r = new Random(seed);
      int magazine = 1 + r.nextInt(4);
      try (SlabCache c =
          SlabCache.builder("df-walk").objectSize(16).objectsPerSlab(4).magazineSize(magazine)
              .depotMagazines(2).maxEmptySlabs(r.nextInt(2)).build()) {
        List<Long> live = new ArrayList<>();
        List<Long> freed = new ArrayList<>();
        for (int step = 0; step < 3000; step++) {
          int op = r.nextInt(10);
          if (op < 4 || live.isEmpty()) {
            long h = c.allocate();
            assertTrue(!live.contains(h), "seed " + seed + " step " + step + ": handed out twice");
            live.add(h);
            freed.remove(h);
          } else if (op < 8) {
            long h = live.remove(r.nextInt(live.size()));
            c.free(h);
            freed.add(h);
          } else if (op < 9 && !freed.isEmpty()) {
            long h = freed.get(r.nextInt(freed.size()));
            // a freed object is cached (magazine, depot, slab) or its slab is gone: refused either way
            assertThrows(InvalidHandleException.class, () -> c.free(h), "seed " + seed + " step " + step);
          } else {
            c.shrink();
          }
          assertEquals(live.size(), c.slabStatistics().activeObjects(), "seed " + seed + " step " + step);
        }
        for (long h : live) {
          c.free(h);
        }
      }
    }
  }

  /**
   * The report: on virtual threads even {@code free(a); free(a)} in a row was sometimes accepted,
   * because the check looked only at the stripe the second free happened to lock. Many virtual threads free
   * disjoint sets of objects at once (nothing is allocated meanwhile, so a freed object stays cached), which
   * keeps the stripes contended and sends some frees down the direct path; every second free must throw,
   * and allocating everything back must give distinct objects.
   */
  @Test
  void virtualThreadsRefuseEveryDoubleFree() throws Exception {
    int threads = 64;
    int perThread = 200;
    try (SlabCache c = cache("df-virtual", 4)) {
      long[] all = new long[threads * perThread];
      c.allocateBulk(all, all.length);
      AtomicLong accepted = new AtomicLong();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      CountDownLatch start = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(threads);
      for (int t = 0; t < threads; t++) {
        int from = t * perThread;
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    start.await();
                    for (int i = from; i < from + perThread; i++) {
                      c.free(all[i]);
                      try {
                        c.free(all[i]);
                        accepted.incrementAndGet();
                      } catch (InvalidHandleException expected) {
                        // refused, as it must be
                      }
                      if ((i & 15) == 0) {
                        Thread.yield();
                      }
                    }
                  } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                  } finally {
                    done.countDown();
                  }
                });
      }
      start.countDown();
      if (!done.await(60, TimeUnit.SECONDS)) {
        fail("watchdog: virtual threads made no progress in 60 s");
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      assertEquals(0, accepted.get(), "double frees accepted on virtual threads");
      assertEquals(0, c.slabStatistics().activeObjects());
      // Every second free was refused (above). Most are counted as double frees; a second free that comes
      // after the object's slab was emptied and released is refused as a stale handle instead.
      long counted = c.slabStatistics().doubleFrees();
      assertTrue(counted > 0 && counted <= all.length, counted + " double frees counted of " + all.length);
      Set<Long> again = new HashSet<>();
      for (int i = 0; i < all.length; i++) {
        assertTrue(again.add(c.allocate()), "an object was handed out twice");
      }
      for (long h : again) {
        c.free(h);
      }
    }
  }

  /** Platform threads freeing each other's objects (producer/consumer) while retrying frees. */
  @Test
  void crossThreadFreesRefuseEveryDoubleFree() throws Exception {
    try (SlabCache c = cache("df-cross", 4)) {
      int n = 20_000;
      java.util.concurrent.ArrayBlockingQueue<Long> q = new java.util.concurrent.ArrayBlockingQueue<>(64);
      AtomicLong accepted = new AtomicLong();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread producer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      for (int i = 0; i < n; i++) {
                        q.put(c.allocate());
                      }
                    } catch (Throwable e) {
                      failure.compareAndSet(null, e);
                    }
                  });
      Thread consumer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      for (int i = 0; i < n; i++) {
                        Long h = q.poll(30, TimeUnit.SECONDS);
                        if (h == null) {
                          throw new AssertionError("producer made no progress in 30 s (watchdog)");
                        }
                        c.free(h);
                        try {
                          c.free(h);
                          accepted.incrementAndGet();
                        } catch (InvalidHandleException expected) {
                          // refused
                        }
                      }
                    } catch (Throwable e) {
                      failure.compareAndSet(null, e);
                    }
                  });
      producer.join(60_000);
      consumer.join(60_000);
      assertTrue(!producer.isAlive() && !consumer.isAlive(), "watchdog: threads still running after 60 s");
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      assertEquals(0, accepted.get());
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }
}
