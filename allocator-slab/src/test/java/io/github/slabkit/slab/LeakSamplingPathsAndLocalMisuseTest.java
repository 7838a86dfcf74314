package io.github.slabkit.slab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.InvalidHandleException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The slab cache tried as an outside adversary would: leak sampling across every way in and out of the
 * cache (sheaves, stash/unstash, virtual threads, frees on other threads and after the allocating thread
 * ended), and context misuse. After each scenario the sampled live objects are exactly the objects still
 * allocated, and the slab's statistics return to their start.
 */
class LeakSamplingPathsAndLocalMisuseTest {

  private static Set<Long> sampledHandles(SlabCache c) {
    return c.sampledLiveObjects().stream().map(SampledAllocation::handle).collect(Collectors.toSet());
  }

  private static void join(Thread t) throws InterruptedException {
    t.join(20_000);
    assertTrue(!t.isAlive(), "thread " + t.getName() + " did not finish in 20 s");
  }

  /**
   * With every allocation sampled, the sampled live objects are exactly those still allocated, whichever
   * path took and returned them; close reports exactly the leaked ones.
   */
  @Test
  void theSampledLiveObjectsAreExactlyTheAllocatedOnesOnEveryPath() throws Exception {
    SlabCache c = SlabCache.builder("fp-leak-paths").objectSize(32).objectsPerSlab(64).magazineSize(8)
        .leakSampling(1).build();
    Set<Long> kept = new HashSet<>();
    // sheaves: the objects taken stay, the rest go back at close
    try (Sheaf s = c.prefill(6)) {
      kept.add(s.allocate());
      kept.add(s.allocate());
    }
    Sheaf t = c.tryPrefill(5);
    assertNotNull(t);
    long fromTry = t.allocate();
    t.close();
    c.free(fromTry);
    // stash/unstash (what a mempool's reserve does): stashed objects are not live
    long st = c.allocate();
    c.stash(st);
    assertTrue(!sampledHandles(c).contains(st), "a stashed object is not a live object");
    c.unstash(st);
    c.free(st);
    // virtual threads and frees on another thread, and after the allocating thread ended
    Set<Long> fromOthers = ConcurrentHashMap.newKeySet();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      boolean virtual = i % 2 == 0;
      Runnable body = () -> {
        try {
          for (int k = 0; k < 50; k++) {
            fromOthers.add(c.allocate());
          }
          try (SlabLocal l = c.local()) {
            long[] b = new long[10];
            l.allocateBulk(b, 10);
            for (long x : b) {
              fromOthers.add(x);
            }
          }
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      };
      threads.add(virtual ? Thread.ofVirtual().start(body) : Thread.ofPlatform().start(body));
    }
    for (Thread th : threads) {
      join(th);
    }
    assertNull(failure.get(), () -> "a worker failed: " + failure.get());
    assertEquals(240, fromOthers.size(), "nothing handed out twice");
    int i = 0;
    long[] batch = new long[fromOthers.size()];
    int n = 0;
    for (long h : fromOthers) {
      if (i++ % 7 == 0) {
        kept.add(h);
      } else {
        batch[n++] = h;
      }
    }
    c.freeBulk(batch, n);
    assertEquals(kept, sampledHandles(c), "the sampled live objects are exactly the objects still allocated");
    assertEquals(kept.size(), c.slabStatistics().activeObjects());
    c.close();
    assertEquals(kept.size(), c.leakedObjects(), "close counts exactly the objects still allocated");
  }

  /** Context misuse: a free after close, from another thread, or of a bad handle changes nothing. */
  @Test
  void slabLocalMisuseChangesNothing() throws Exception {
    try (SlabCache c = SlabCache.builder("fp-local-misuse").objectSize(32).objectsPerSlab(64).build()) {
      SlabLocal l = c.local();
      long h = l.allocate();
      long active = c.slabStatistics().activeObjects();
      AtomicReference<Throwable> other = new AtomicReference<>();
      Thread t = Thread.ofVirtual().start(() -> {
        try {
          l.free(h);
        } catch (Throwable e) {
          other.set(e);
        }
      });
      join(t);
      assertTrue(other.get() instanceof IllegalStateException, "wrong-thread free refused: " + other.get());
      assertEquals(active, c.slabStatistics().activeObjects());
      assertThrows(InvalidHandleException.class, () -> l.free(0));
      assertThrows(InvalidHandleException.class, () -> l.freeBulk(new long[] {h, h}, 2));
      assertEquals(active - 1, c.slabStatistics().activeObjects(), "the first of the bulk was freed");
      long h2 = l.allocate();
      l.close();
      l.close();
      assertThrows(IllegalStateException.class, () -> l.free(h2));
      assertThrows(IllegalStateException.class, () -> l.tryAllocate(1, TimeUnit.MILLISECONDS));
      assertEquals(active, c.slabStatistics().activeObjects(), "misuse after close changes nothing");
      c.free(h2);
      assertEquals(0, c.slabStatistics().activeObjects());
    }
  }
}
