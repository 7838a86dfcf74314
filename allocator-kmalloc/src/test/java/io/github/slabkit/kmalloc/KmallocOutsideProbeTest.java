package io.github.slabkit.kmalloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Scenarios of an outside-style adversary round (through the public API only): a failed growing reallocation,
 * double frees through every class and the large path, close racing allocation, bad sizes on every path.
 * The round's defect (an alignment the system cannot give escaping as OutOfMemoryError) is tested in {@link
 * KmallocBadInputTest}.
 */
class KmallocOutsideProbeTest {

  /** A reallocation that must move while the budget is exhausted fails and leaves everything as it was. */
  @Test
  void aFailedGrowingReallocationKeepsTheOldObjectAndTheBudget() {
    MemoryBudget budget = MemoryBudget.ofBytes("realloc", 256 * 1024);
    try (Kmalloc k = Kmalloc.builder().name("rf").budget(budget).maxWait(Duration.ofMillis(5)).build()) {
      long h = k.allocate(100);
      k.segment(h).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x1234_5678_9abcL);
      List<Long> fill = new ArrayList<>();
      for (long x; (x = k.tryAllocate(4096)) != 0; ) {
        fill.add(x);
      }
      long used = budget.used();
      long live = k.statistics().liveObjects();
      assertThrows(AllocationFailedException.class, () -> k.reallocate(h, 200_000));
      assertEquals(used, budget.used(), "budget after a failed large move");
      assertEquals(live, k.statistics().liveObjects());
      assertEquals(0x1234_5678_9abcL, k.segment(h).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
      assertThrows(AllocationFailedException.class, () -> k.reallocate(h, 8000));
      assertEquals(live, k.statistics().liveObjects());
      for (long x : fill) {
        k.free(x);
      }
      long moved = k.reallocate(h, 150_000);
      assertEquals(0x1234_5678_9abcL, k.segment(moved).get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
      long back = k.reallocate(moved, 50_000); // shrinking large never moves
      assertEquals(moved, back);
      long small = k.reallocate(back, 60_000);
      assertThrows(InvalidHandleException.class, () -> k.free(h), "old class handle is gone");
      k.free(small);
      assertEquals(0, k.statistics().liveObjects());
    }
  }

  /** Double frees of class and large objects are refused, and nothing is handed out twice afterwards. */
  @Test
  void doubleFreesNeverHandOutTwice() {
    try (Kmalloc k = Kmalloc.builder().name("df").throwOnLeak(true).build()) {
      for (long size : new long[] {8, 96, 4000, 100_000}) {
        long h = k.allocate(size);
        k.free(h);
        long liveBefore = k.statistics().liveObjects();
        try {
          k.free(h);
        } catch (InvalidHandleException expected) {
          // documented for large ones; for class ones as the cache detects it
        }
        assertEquals(liveBefore, k.statistics().liveObjects(), "size " + size);
        Set<Long> seen = new HashSet<>();
        List<Long> all = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          long x = k.allocate(size);
          assertTrue(seen.add(x), "size " + size + ": handed out twice: " + x);
          all.add(x);
        }
        for (long x : all) {
          k.free(x);
        }
        assertEquals(0, k.statistics().liveObjects(), "size " + size);
      }
      // a handle whose class bits were changed to another class
      long a = k.allocate(8);
      long forged = a ^ (1L << 58);
      assertThrows(InvalidHandleException.class, () -> k.free(forged));
      assertThrows(InvalidHandleException.class, () -> k.reallocate(forged, 4));
      assertEquals(1, k.statistics().liveObjects());
      k.free(a);
    }
  }

  /** close() racing allocations (outside the contract): the racing calls end normally or closed, no hang. */
  @Test
  void closeRacingAllocationNeitherHangsNorThrowsOddly() throws Exception {
    for (int round = 0; round < 30; round++) {
      Kmalloc k = Kmalloc.builder().name("race" + round).build();
      AtomicReference<Throwable> odd = new AtomicReference<>();
      List<Thread> ts = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        long size = t == 0 ? 64 : 70_000;
        ts.add(Thread.ofPlatform().daemon().start(() -> {
          try {
            while (true) {
              long h = k.allocate(size);
              k.free(h);
            }
          } catch (AllocatorClosedException expected) {
            // the documented answer
          } catch (Throwable e) {
            odd.compareAndSet(null, e);
          }
        }));
      }
      Thread.sleep(3);
      try {
        k.close();
      } catch (IllegalStateException leak) {
        // a racing allocation may be reported as a leak
      }
      for (Thread t : ts) {
        t.join(Duration.ofSeconds(20));
        assertFalse(t.isAlive(), "a racing call did not end");
      }
      if (odd.get() != null && !(odd.get() instanceof IllegalStateException)) {
        throw new AssertionError("round " + round, odd.get());
      }
      assertTrue(k.isClosed());
    }
  }

  @Test
  void badSizesOnEveryPath() {
    try (Kmalloc k = Kmalloc.builder().name("sizes").maxRequestSize(1 << 20).build()) {
      assertThrows(IllegalArgumentException.class, () -> k.allocate(Long.MAX_VALUE));
      assertThrows(IllegalArgumentException.class, () -> k.allocate(1, Long.MIN_VALUE));
      assertThrows(IllegalArgumentException.class, () -> k.tryAllocateBulk(new long[1], 2, 8));
      assertThrows(IllegalArgumentException.class, () -> k.tryAllocateBulk(new long[1], -1, 8));
      long[] dst = new long[4];
      assertTrue(k.tryAllocateBulk(dst, 4, 1 << 20));
      assertNotEquals(dst[0], dst[1]);
      k.freeBulk(dst, 4);
      assertEquals(0, k.statistics().liveObjects());
      assertEquals(0, k.statistics().largeLive());
    }
  }
}
