package io.github.slabkit.kmalloc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.SlabCorruptionException;
import io.github.slabkit.slab.SlabDebug;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The size classes, alignment, reallocation, large allocations, statistics and per-class debugging. */
class KmallocTest {

  @Test
  void kernelClassesAreThePowersOfTwoPlus96And192() {
    try (Kmalloc k = Kmalloc.builder().build()) {
      assertArrayEquals(
          new long[] {8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192}, k.classSizes());
    }
    try (Kmalloc k = Kmalloc.builder().maxClassSize(1024).build()) {
      assertEquals(1024, k.classSizes()[k.classSizes().length - 1]);
    }
  }

  @Test
  void quarterClassesWasteAtMostAQuarter() {
    try (Kmalloc k = Kmalloc.builder().sizeClasses(SizeClassScheme.QUARTER).build()) {
      long[] s = k.classSizes();
      assertEquals(8192, s[s.length - 1]);
      for (long size = 129; size <= 8192; size++) {
        long usable = k.usableSizeFor(size);
        assertTrue(usable >= size && (usable - size) * 4 < usable, size + " -> " + usable);
      }
    }
  }

  @Test
  void everyRequestGetsTheSmallestClassThatHoldsIt() {
    try (Kmalloc k = Kmalloc.builder().build()) {
      long[] classes = k.classSizes();
      for (long size = 1; size <= 8192; size++) {
        long expected = 0;
        for (long c : classes) {
          if (c >= size) {
            expected = c;
            break;
          }
        }
        assertEquals(expected, k.usableSizeFor(size), "request of " + size + " B");
      }
      assertEquals(12288, k.usableSizeFor(8193), "large requests take whole pages");
      long h = k.allocate(65);
      assertEquals(96, k.usableSize(h));
      assertEquals(96, k.segment(h).byteSize());
      k.free(h);
    }
  }

  @Test
  void objectsAreNaturallyAlignedToTheirClass() {
    try (Kmalloc k = Kmalloc.builder().build()) {
      for (long size : k.classSizes()) {
        long align = Math.min(Long.lowestOneBit(size), 4096);
        long[] hs = new long[20];
        for (int i = 0; i < hs.length; i++) {
          hs[i] = k.allocate(size);
          long address = k.memory(hs[i]).address() + k.offset(hs[i]);
          assertEquals(0, address % align, "kmalloc-" + size + " object at 0x" + Long.toHexString(address));
        }
        k.freeBulk(hs, hs.length);
      }
    }
  }

  @Test
  void explicitAlignmentPicksAClassThatHasIt() {
    try (Kmalloc k = Kmalloc.builder().build()) {
      long a = k.allocate(16, 64);
      assertEquals(64, k.usableSize(a));
      long b = k.allocate(80, 64); // 96 has natural alignment 32: the next class that has 64 is 128
      assertEquals(128, k.usableSize(b));
      long c = k.allocate(100, 8192); // no class is aligned beyond a page: a large allocation
      assertEquals(0, k.memory(c).address() % 8192);
      assertEquals(4096, k.usableSize(c));
      for (long h : new long[] {a, b}) {
        assertEquals(0, (k.memory(h).address() + k.offset(h)) % 64);
      }
      k.free(a);
      k.free(b);
      k.free(c);
    }
  }

  @Test
  void reallocateStaysInPlaceWhenTheClassFitsAndMovesTheBytesOtherwise() {
    try (Kmalloc k = Kmalloc.builder().throwOnLeak(true).build()) {
      long h = k.allocate(40);
      k.segment(h).fill((byte) 7);
      assertEquals(h, k.reallocate(h, 64), "growing within kmalloc-64 must not move");
      assertEquals(h, k.reallocate(h, 1), "shrinking never moves");
      long moved = k.reallocate(h, 1000);
      assertNotEquals(h, moved);
      assertEquals(1024, k.usableSize(moved));
      for (long i = 0; i < 64; i++) {
        assertEquals(7, k.segment(moved).get(ValueLayout.JAVA_BYTE, i), "byte " + i + " not copied");
      }
      assertThrows(InvalidHandleException.class, () -> k.free(h), "the old handle was freed by the move");
      long big = k.reallocate(moved, 100_000);
      assertEquals(7, k.segment(big).get(ValueLayout.JAVA_BYTE, 63));
      assertEquals(102_400, k.usableSize(big));
      long back = k.reallocate(big, 50);
      assertEquals(big, back, "a large allocation shrinks in place too");
      k.free(back);
      assertEquals(0, k.statistics().liveObjects());
    }
  }

  @Test
  void largeAllocationsAreChargedAndCreditedAndRejectStaleHandles() {
    MemoryBudget budget = MemoryBudget.ofBytes("large", 1 << 20);
    try (Kmalloc k = Kmalloc.builder().budget(budget).build()) {
      long h = k.allocate(10_000);
      assertEquals(12_288, budget.used());
      assertEquals(12_288, k.segment(h).byteSize());
      assertEquals(0, k.offset(h));
      k.segment(h).set(ValueLayout.JAVA_LONG, 12_280, 42L);
      assertEquals(1, k.statistics().largeLive());
      k.free(h);
      assertEquals(0, budget.used());
      assertThrows(InvalidHandleException.class, () -> k.free(h), "double free of a large allocation");
      long again = k.allocate(10_000); // reuses the slot with a new generation
      assertNotEquals(h, again);
      assertThrows(InvalidHandleException.class, () -> k.free(h), "stale handle of a reused slot");
      assertEquals(0, k.tryAllocate(2 << 20), "above the budget: tryAllocate returns 0");
      assertEquals(1, k.statistics().largeFailures());
      k.free(again);
      assertEquals(0, budget.used());
    }
  }

  @Test
  void exactStatisticsCountRequestedAndUsableBytesPerClass() {
    try (Kmalloc k = Kmalloc.builder().requestSampling(1).build()) {
      long a = k.allocate(40);
      long b = k.allocate(50);
      long c = k.allocate(100);
      long[] bulk = new long[3];
      k.allocateBulk(bulk, 3, 33);
      KmallocStatistics s = k.statistics();
      SizeClassStatistics c64 = s.classes().get(3);
      assertEquals("kmalloc-64", c64.name());
      assertEquals(5, c64.sampledAllocations());
      assertEquals(40 + 50 + 3 * 33, c64.sampledRequestedBytes());
      assertEquals(5, c64.liveObjects());
      assertEquals((5 * 64.0 - 189) / 189, c64.internalFragmentation(), 1e-12);
      SizeClassStatistics c128 = s.classes().get(5);
      assertEquals("kmalloc-128", c128.name());
      assertEquals(100, c128.sampledRequestedBytes());
      assertEquals((5 * 64 + 128 - 289) / 289.0, s.internalFragmentation(), 1e-12);
      assertEquals(6, s.liveObjects());
      k.free(a);
      k.free(b);
      k.free(c);
      k.freeBulk(bulk, 3);
      assertEquals(0, k.statistics().liveObjects());
    }
  }

  @Test
  void slabinfoNamesEveryClassAsTheKernelDoes() {
    try (Kmalloc k = Kmalloc.builder().build()) {
      String info = k.slabInfo();
      for (String n : new String[] {"kmalloc-8 ", "kmalloc-96 ", "kmalloc-192 ", "kmalloc-1k ", "kmalloc-8k "}) {
        assertTrue(info.contains("\n" + n), n + " missing in\n" + info);
      }
    }
  }

  @Test
  void debugOptionsApplyPerClass() {
    try (Kmalloc k =
        Kmalloc.builder().debug(64, SlabDebug.of("FZ").throwOnReport(true)).build()) {
      KmallocStatistics s = k.statistics();
      long h = k.allocate(64);
      // A write past the object hits kmalloc-64's red zone, reported on free.
      MemorySegment mem = k.memory(h);
      mem.set(ValueLayout.JAVA_BYTE, k.offset(h) + 64, (byte) 1);
      assertThrows(SlabCorruptionException.class, () -> k.free(h));
      long other = k.allocate(100); // kmalloc-128 has no red zone: its stride is its size
      assertEquals(128, k.statistics().classes().get(5).slab().stride());
      assertTrue(s.classes().get(3).slab().stride() > 64, "kmalloc-64 has red zones");
      k.free(other);
    }
  }

  @Test
  void handlesOfDifferentClassesAndLargeAreDistinctAndDecodeToTheirObjects() {
    try (Kmalloc k = Kmalloc.builder().throwOnLeak(true).build()) {
      Set<Long> seen = new HashSet<>();
      long[] sizes = {1, 8, 9, 64, 65, 96, 97, 192, 193, 4096, 8192, 8193, 70_000};
      long[] hs = new long[sizes.length];
      for (int i = 0; i < sizes.length; i++) {
        hs[i] = k.allocate(sizes[i]);
        assertTrue(seen.add(hs[i]));
        k.segment(hs[i]).fill((byte) i);
      }
      for (int i = 0; i < sizes.length; i++) {
        MemorySegment s = k.segment(hs[i]);
        assertTrue(s.byteSize() >= sizes[i]);
        for (long b = 0; b < sizes[i]; b += 7) {
          assertEquals((byte) i, s.get(ValueLayout.JAVA_BYTE, b), "object " + i + " byte " + b);
        }
      }
      k.freeBulk(hs, hs.length);
    }
  }
}
