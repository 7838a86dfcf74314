package io.github.slabkit.kmalloc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The size-class arena: segments from the classes, confinement, lifetime, zeroing, failure. */
class KmallocArenaTest {

  @Test
  void segmentsComeFromTheClassesAndCloseFreesThemAll() {
    try (Kmalloc k = Kmalloc.builder().requestSampling(1).throwOnLeak(true).build()) {
      try (Arena arena = k.newArena()) {
        MemorySegment a = arena.allocate(100);
        MemorySegment b = arena.allocate(ValueLayout.JAVA_LONG, 10);
        MemorySegment c = arena.allocateFrom(ValueLayout.JAVA_INT, 1, 2, 3);
        MemorySegment big = arena.allocate(20_000);
        assertEquals(100, a.byteSize());
        assertEquals(80, b.byteSize());
        assertEquals(3, c.get(ValueLayout.JAVA_INT, 8));
        assertEquals(20_000, big.byteSize());
        assertEquals(arena.scope(), a.scope());
        KmallocStatistics s = k.statistics();
        assertEquals(4, s.liveObjects());
        assertEquals(1, s.classes().get(5).liveObjects(), "100 B comes from kmalloc-128");
        assertEquals(100, s.classes().get(5).sampledRequestedBytes());
        assertEquals(1, s.largeLive());
        a.fill((byte) 1);
        b.fill((byte) 2);
        assertEquals(1, a.get(ValueLayout.JAVA_BYTE, 99));
        assertTrue(a.asOverlappingSlice(b).isEmpty());
      }
      assertEquals(0, k.statistics().liveObjects(), "close() frees every segment's object");
    }
  }

  @Test
  void segmentsAreInaccessibleAfterCloseAndDoubleCloseThrows() {
    try (Kmalloc k = Kmalloc.builder().build()) {
      Arena arena = k.newArena();
      MemorySegment s = arena.allocate(64);
      s.set(ValueLayout.JAVA_LONG, 0, 42L);
      arena.close();
      assertFalse(s.scope().isAlive());
      assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_LONG, 0));
      assertThrows(IllegalStateException.class, () -> s.set(ValueLayout.JAVA_LONG, 0, 1L));
      assertThrows(IllegalStateException.class, () -> arena.allocate(8));
      assertThrows(IllegalStateException.class, arena::close);
    }
  }

  @Test
  void useFromAnotherThreadThrowsWrongThreadException() throws Exception {
    try (Kmalloc k = Kmalloc.builder().throwOnLeak(true).build()) {
      try (Arena arena = k.newArena()) {
        MemorySegment s = arena.allocate(64);
        assertWrongThread(() -> arena.allocate(16));
        assertWrongThread(() -> s.get(ValueLayout.JAVA_LONG, 0));
        assertWrongThread(arena::close);
        assertEquals(1, k.statistics().liveObjects(), "refused calls change nothing");
        assertTrue(s.scope().isAlive());
      }
    }
  }

  private static void assertWrongThread(Executable call) throws InterruptedException {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread t =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    call.execute();
                  } catch (Throwable e) {
                    thrown.set(e);
                  }
                });
    t.join(10_000);
    assertInstanceOf(WrongThreadException.class, thrown.get());
  }

  @Test
  void segmentsAreZeroedEvenWhenTheirMemoryWasUsedBefore() {
    try (Kmalloc k = Kmalloc.builder().build()) {
      long dirty = k.allocate(256);
      k.segment(dirty).fill((byte) 0x5a);
      k.free(dirty); // the next 256 B object on this thread is this one again
      try (Arena arena = k.newArena()) {
        MemorySegment s = arena.allocate(256);
        assertEquals(-1, s.mismatch(MemorySegment.ofArray(new byte[256])), "segment not zeroed");
      }
      try (Arena raw = k.newArena(false)) {
        long again = k.allocate(256);
        k.segment(again).fill((byte) 0x5a);
        k.free(again);
        MemorySegment s = raw.allocate(256);
        assertEquals(0x5a, s.get(ValueLayout.JAVA_BYTE, 0), "a non-zeroing arena leaves the bytes");
      }
    }
  }

  @Test
  void alignmentSizeZeroAndBadArgumentsFollowArena() {
    try (Kmalloc k = Kmalloc.builder().throwOnLeak(true).build();
        Arena arena = k.newArena()) {
      MemorySegment aligned = arena.allocate(MemoryLayout.sequenceLayout(3, ValueLayout.JAVA_LONG).withByteAlignment(256));
      assertEquals(0, aligned.address() % 256);
      assertEquals(0, arena.allocate(0).byteSize());
      assertThrows(IllegalArgumentException.class, () -> arena.allocate(-1));
      assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, 3));
      assertThrows(IllegalArgumentException.class, () -> arena.allocate(8, 0));
    }
  }

  @Test
  void anExhaustedBudgetFailsTheAllocationAndTheArenaStaysUsable() {
    MemoryBudget budget = MemoryBudget.ofBytes("arena", 128 * 1024);
    try (Kmalloc k = Kmalloc.builder().budget(budget).maxWait(Duration.ZERO).throwOnLeak(true).build()) {
      try (Arena arena = k.newArena()) {
        MemorySegment first = arena.allocate(64);
        assertThrows(AllocationFailedException.class, () -> arena.allocate(1 << 20));
        MemorySegment second = arena.allocate(64);
        assertTrue(first.scope().isAlive() && second.scope().isAlive());
        assertEquals(2, k.statistics().liveObjects());
      }
      assertEquals(0, k.statistics().liveObjects());
    }
  }
}
