package io.github.slabkit.allocator.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.ObjectAllocator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link ObjectAllocator} in Slabkit passes, published in the api's test-jar so that a
 * user's own allocator can run it too. Subclass it, implement {@link #create()} (an allocator with room for at
 * least {@link #MIN_CAPACITY} objects) and {@link #createOther()} (a distinct allocator whose handles the first
 * must refuse), and JUnit runs every test against your allocator.
 *
 * <p>Allocators whose {@code allocate()} can fail must have enough memory for the tests: at least
 * {@value #MIN_CAPACITY} objects at once.
 */
public abstract class ObjectAllocatorContract {

  /** The most objects any test holds at once. */
  public static final int MIN_CAPACITY = 256;

  private final List<ObjectAllocator> created = new ArrayList<>();

  /**
   * Creates the allocator under test. Called once per test.
   *
   * @return a new allocator with room for {@link #MIN_CAPACITY} objects
   */
  protected abstract ObjectAllocator create();

  /**
   * Creates a second, distinct allocator of the same kind, for foreign-handle tests.
   *
   * @return another new allocator
   */
  protected abstract ObjectAllocator createOther();

  /**
   * Whether {@code free} of a handle that was just freed (and not reallocated) is detected. Implementations
   * that detect it only in a debug mode return {@code false}.
   *
   * @return whether the immediate double free test runs
   */
  protected boolean detectsImmediateDoubleFree() {
    return true;
  }

  private ObjectAllocator allocator() {
    ObjectAllocator a = create();
    created.add(a);
    return a;
  }

  private ObjectAllocator other() {
    ObjectAllocator a = createOther();
    created.add(a);
    return a;
  }

  @AfterEach
  void closeAll() {
    for (ObjectAllocator a : created) {
      a.close();
    }
    created.clear();
  }

  @Test
  void allocateReturnsDistinctNonZeroHandles() {
    ObjectAllocator a = allocator();
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < MIN_CAPACITY; i++) {
      long h = a.allocate();
      assertNotEquals(ObjectAllocator.NO_HANDLE, h, "allocate() returned the null handle");
      assertTrue(seen.add(h), "handle handed out twice while live: " + h);
    }
    for (long h : seen) {
      a.free(h);
    }
  }

  @Test
  void objectsDoNotOverlapAndKeepTheirBytes() {
    ObjectAllocator a = allocator();
    long size = a.objectSize();
    assertTrue(size >= 1, "objectSize must be positive");
    long[] hs = new long[64];
    for (int i = 0; i < hs.length; i++) {
      hs[i] = a.allocate();
      MemorySegment s = a.segment(hs[i]);
      assertEquals(size, s.byteSize(), "segment(h) must be exactly objectSize() bytes");
      s.fill((byte) i);
    }
    for (int i = 0; i < hs.length; i++) {
      MemorySegment s = a.segment(hs[i]);
      for (long b = 0; b < size; b++) {
        assertEquals((byte) i, s.get(ValueLayout.JAVA_BYTE, b), "object " + i + " overwritten at byte " + b);
      }
    }
    a.freeBulk(hs, hs.length);
  }

  @Test
  void memoryAndOffsetAddressTheSameBytesAsSegment() {
    ObjectAllocator a = allocator();
    long h = a.allocate();
    MemorySegment view = a.segment(h);
    view.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x5a);
    view.set(ValueLayout.JAVA_BYTE, a.objectSize() - 1, (byte) 0x3c);
    MemorySegment mem = a.memory(h);
    long off = a.offset(h);
    assertEquals((byte) 0x5a, mem.get(ValueLayout.JAVA_BYTE, off));
    assertEquals((byte) 0x3c, mem.get(ValueLayout.JAVA_BYTE, off + a.objectSize() - 1));
    assertThrows(IndexOutOfBoundsException.class, () -> view.get(ValueLayout.JAVA_BYTE, a.objectSize()));
    a.free(h);
  }

  @Test
  void tryAllocateAndTimedAllocateReturnUsableHandles() throws InterruptedException {
    ObjectAllocator a = allocator();
    long h1 = a.tryAllocate();
    long h2 = a.tryAllocate(10, TimeUnit.MILLISECONDS);
    assertNotEquals(0, h1);
    assertNotEquals(0, h2);
    assertNotEquals(h1, h2);
    a.free(h1);
    a.free(h2);
  }

  @Test
  void freedObjectsAreReused() {
    ObjectAllocator a = allocator();
    Set<Long> first = new HashSet<>();
    for (int i = 0; i < 32; i++) {
      first.add(a.allocate());
    }
    for (long h : first) {
      a.free(h);
    }
    for (int round = 0; round < 20; round++) {
      long[] hs = new long[32];
      a.allocateBulk(hs, hs.length);
      a.freeBulk(hs, hs.length);
    }
    assertEquals(0, a.statistics().liveObjects(), "objects still live after every one was freed");
  }

  @Test
  void bulkAllocationIsAllOrNothingAndDistinct() {
    ObjectAllocator a = allocator();
    long[] dst = new long[100];
    assertTrue(a.tryAllocateBulk(dst, 40));
    long[] more = new long[60];
    a.allocateBulk(more, 60);
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      assertTrue(seen.add(dst[i]), "bulk allocation returned a handle twice");
    }
    for (long h : more) {
      assertTrue(seen.add(h), "bulk allocation handed out a live handle");
    }
    assertEquals(100, a.statistics().liveObjects());
    a.freeBulk(dst, 40);
    a.freeBulk(more, 60);
    assertEquals(0, a.statistics().liveObjects());
  }

  @Test
  void bulkWithBadCountsIsRejected() {
    ObjectAllocator a = allocator();
    long[] dst = new long[4];
    assertThrows(IllegalArgumentException.class, () -> a.allocateBulk(dst, -1));
    assertThrows(IllegalArgumentException.class, () -> a.allocateBulk(dst, 5));
    assertThrows(IllegalArgumentException.class, () -> a.tryAllocateBulk(dst, 5));
    assertThrows(IllegalArgumentException.class, () -> a.freeBulk(dst, -2));
    assertEquals(0, a.statistics().liveObjects());
  }

  @Test
  void freeOfNullHandleIsRejected() {
    ObjectAllocator a = allocator();
    InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> a.free(0));
    assertTrue(e.getMessage().contains(a.name()), "message must name the allocator: " + e.getMessage());
    long h = a.allocate();
    a.free(h);
    assertEquals(0, a.statistics().liveObjects());
  }

  @Test
  void freeOfForeignHandleIsRejectedAndNothingChanges() {
    ObjectAllocator a = allocator();
    ObjectAllocator b = other();
    long mine = a.allocate();
    long foreign = b.allocate();
    InvalidHandleException e = assertThrows(InvalidHandleException.class, () -> a.free(foreign));
    assertTrue(e.getMessage().contains(a.name()), "message must name the allocator: " + e.getMessage());
    assertEquals(1, a.statistics().liveObjects());
    assertEquals(1, b.statistics().liveObjects());
    b.free(foreign);
    a.free(mine);
  }

  @Test
  void checkHandleRefusesNullAndForeignHandles() {
    ObjectAllocator a = allocator();
    ObjectAllocator b = other();
    long mine = a.allocate();
    long foreign = b.allocate();
    a.checkHandle(mine);
    assertThrows(InvalidHandleException.class, () -> a.checkHandle(0));
    assertThrows(InvalidHandleException.class, () -> a.checkHandle(foreign));
    a.free(mine);
    b.free(foreign);
  }

  @Test
  void immediateDoubleFreeIsRejected() {
    if (!detectsImmediateDoubleFree()) {
      return;
    }
    ObjectAllocator a = allocator();
    long keep = a.allocate();
    long h = a.allocate();
    a.free(h);
    assertThrows(InvalidHandleException.class, () -> a.free(h));
    assertEquals(1, a.statistics().liveObjects(), "a refused double free must not change the counts");
    long again = a.allocate();
    long again2 = a.allocate();
    assertNotEquals(again, again2, "a double free must not put the object in the cache twice");
    a.free(again);
    a.free(again2);
    a.free(keep);
  }

  @Test
  void useAfterCloseIsRejected() {
    ObjectAllocator a = allocator();
    a.close();
    assertThrows(AllocatorClosedException.class, a::allocate);
    assertThrows(AllocatorClosedException.class, a::tryAllocate);
    assertThrows(AllocatorClosedException.class, () -> a.tryAllocate(1, TimeUnit.MILLISECONDS));
    assertThrows(AllocatorClosedException.class, () -> a.free(1));
    a.close(); // idempotent
  }

  @Test
  void statisticsCountAllocationsAndFrees() {
    ObjectAllocator a = allocator();
    long before = a.statistics().allocations();
    long[] hs = new long[10];
    a.allocateBulk(hs, 10);
    assertEquals(10, a.statistics().liveObjects());
    assertEquals(before + 10, a.statistics().allocations());
    a.free(hs[0]);
    assertEquals(9, a.statistics().liveObjects());
    long[] rest = new long[9];
    System.arraycopy(hs, 1, rest, 0, 9);
    a.freeBulk(rest, 9);
    assertEquals(0, a.statistics().liveObjects());
    assertTrue(a.statistics().frees() >= 10, "frees must count every freed object");
    assertTrue(a.statistics().totalObjects() >= 10, "totalObjects must cover what was allocated");
  }

  @Test
  void objectsFreedOnAnotherThreadAreReusedWithTheirBytes() throws Exception {
    ObjectAllocator a = allocator();
    BlockingQueue<Long> handoff = new ArrayBlockingQueue<>(64);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Set<Long> live = ConcurrentHashMap.newKeySet();
    int n = 20_000;
    Thread producer =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    for (int i = 0; i < n; i++) {
                      long h = a.allocate();
                      if (!live.add(h)) {
                        throw new AssertionError("handle handed out twice while live: " + h);
                      }
                      a.memory(h).set(ValueLayout.JAVA_INT_UNALIGNED, a.offset(h), i);
                      handoff.put(h);
                    }
                  } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                  }
                });
    Thread consumer =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    for (int i = 0; i < n; i++) {
                      long h = handoff.take();
                      int v = a.memory(h).get(ValueLayout.JAVA_INT_UNALIGNED, a.offset(h));
                      if (v != i) {
                        throw new AssertionError("object " + i + " read back as " + v);
                      }
                      live.remove(h);
                      a.free(h);
                    }
                  } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                  }
                });
    producer.join(60_000);
    consumer.join(60_000);
    if (failure.get() != null) {
      throw new AssertionError(failure.get());
    }
    assertFalse(producer.isAlive() || consumer.isAlive(), "producer/consumer did not finish");
    assertEquals(0, a.statistics().liveObjects());
  }

  @Test
  void randomizedAllocateFreeKeepsEveryLiveObjectIntact() {
    ObjectAllocator a = allocator();
    SplittableRandom rnd = new SplittableRandom(0x5eed);
    List<Long> live = new ArrayList<>();
    List<Long> tags = new ArrayList<>();
    Set<Long> liveSet = new HashSet<>();
    for (int step = 0; step < 20_000; step++) {
      if (live.isEmpty() || (live.size() < MIN_CAPACITY && rnd.nextInt(100) < 55)) {
        long h = a.allocate();
        assertTrue(liveSet.add(h), "handle handed out twice while live at step " + step);
        long tag = rnd.nextLong();
        writeTag(a, h, tag);
        live.add(h);
        tags.add(tag);
      } else {
        int i = rnd.nextInt(live.size());
        long h = live.get(i);
        assertEquals(truncate(a, tags.get(i)), readTag(a, h), "object contents changed while live, step " + step);
        a.free(h);
        liveSet.remove(h);
        int last = live.size() - 1;
        live.set(i, live.get(last));
        tags.set(i, tags.get(last));
        live.remove(last);
        tags.remove(last);
      }
      if (step % 1000 == 0) {
        assertEquals(live.size(), a.statistics().liveObjects(), "liveObjects disagrees with the model");
      }
    }
    long[] rest = live.stream().mapToLong(Long::longValue).toArray();
    a.freeBulk(rest, rest.length);
    assertEquals(0, a.statistics().liveObjects());
  }

  private static long truncate(ObjectAllocator a, long tag) {
    long n = Math.min(8, a.objectSize());
    return n == 8 ? tag : tag & ((1L << (8 * n)) - 1);
  }

  private static void writeTag(ObjectAllocator a, long h, long tag) {
    MemorySegment s = a.segment(h);
    long n = Math.min(8, s.byteSize());
    for (int i = 0; i < n; i++) {
      s.set(ValueLayout.JAVA_BYTE, i, (byte) (tag >>> (8 * i)));
    }
  }

  private static long readTag(ObjectAllocator a, long h) {
    MemorySegment s = a.segment(h);
    long n = Math.min(8, s.byteSize());
    long tag = 0;
    for (int i = 0; i < n; i++) {
      tag |= (s.get(ValueLayout.JAVA_BYTE, i) & 0xffL) << (8 * i);
    }
    return tag;
  }
}
