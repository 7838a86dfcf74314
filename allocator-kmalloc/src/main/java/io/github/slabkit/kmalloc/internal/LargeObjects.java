package io.github.slabkit.kmalloc.internal;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Allocations above the largest size class (the kernel's {@code kmalloc_large}): each is its own shared
 * {@link Arena}, sized to whole pages, charged to the budget, and closed and credited on free.
 *
 * <h2>Why one shared arena per object</h2>
 * It is the only freeable off-heap allocation that needs no restricted method: {@code Arena.global()} never
 * frees, {@code Arena.ofAuto()} frees only when the garbage collector finds the segment unreachable, a
 * confined arena can be closed only by its owner thread (a free may come from any thread), and
 * {@code malloc}/{@code free} through the {@code Linker} need native access. The price is the close: a
 * handshake with every thread, tens of microseconds. Large allocations are meant to be rare, as in the kernel.
 *
 * <h2>Handles</h2>
 * {@code [kind 63:6][generation:26][slot:32]}. The slot indexes the table below; the generation, bumped on
 * every free of the slot, makes a stale handle (double free, use after free) fail validation instead of
 * naming the slot's next object, until the generation wraps (2^26 reuses of one slot).
 *
 * <h2>Memory ordering</h2>
 * The table is guarded by {@link #lock}. {@link #memory} reads it without the lock: the table reference is
 * volatile (growth publishes a copy), and a slot's entry is written under the lock before its handle is
 * returned, so any thread that holds the handle got it after the write (happens-before through whatever
 * published the handle). Arenas are closed and the budget credited outside the lock.
 */
public final class LargeObjects {
  private static final int SLOT_BITS = 32;
  private static final long GENERATION_MASK = (1L << 26) - 1;
  private static final long KIND_BITS = (long) HandleCodec.LARGE_KIND << HandleCodec.KIND_SHIFT;

  private final String name;
  private final MemoryBudget budget;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile Table table = new Table(8);
  private int[] freeSlots = new int[8];
  private int freeCount;
  private int nextSlot;
  private long live;
  private long liveBytes;
  private long allocations;
  private long frees;
  private long failures;

  /** The slot arrays; a new, larger copy replaces the old one when it is full. */
  private static final class Table {
    final @Nullable Arena[] arenas;
    final @Nullable MemorySegment[] segments;
    final long[] generations;

    Table(int capacity) {
      arenas = new Arena[capacity];
      segments = new MemorySegment[capacity];
      generations = new long[capacity];
    }

    Table(Table old, int capacity) {
      arenas = Arrays.copyOf(old.arenas, capacity);
      segments = Arrays.copyOf(old.segments, capacity);
      generations = Arrays.copyOf(old.generations, capacity);
    }
  }

  /**
   * Creates an empty table.
   *
   * @param name the allocator's name, for messages
   * @param budget the budget large allocations are charged to
   */
  public LargeObjects(String name, MemoryBudget budget) {
    this.name = name;
    this.budget = budget;
  }

  /**
   * Returns the bytes a large request takes: the request rounded up to whole pages.
   *
   * @param size the request
   * @return the usable (and charged) size
   */
  public static long usableSize(long size) {
    return (size + SizeClasses.PAGE - 1) & -SizeClasses.PAGE;
  }

  /**
   * Allocates.
   *
   * @param size the request in bytes
   * @param alignment a power of two; at least a page is used
   * @param wait {@code < 0}: never wait or reclaim; else reclaim and wait up to this many nanoseconds
   * @param failLoudly whether a refused native allocation throws (a blocking call) rather than returning 0
   * @return the handle, or 0 if the budget refused, or if the native allocation was refused and not
   *     {@code failLoudly}
   * @throws InterruptedException if interrupted while waiting for the budget
   * @throws AllocationFailedException if {@code failLoudly} and the native allocation was refused (the
   *     operating system had not the memory, or the alignment padding overflows); the budget is credited back
   */
  @SuppressWarnings("MustBeClosedChecker") // the arena lives in the table until free() closes it
  public long allocate(long size, long alignment, long wait, boolean failLoudly) throws InterruptedException {
    long bytes = usableSize(size);
    boolean charged =
        wait < 0 ? budget.tryCharge(bytes) : budget.charge(bytes, wait, TimeUnit.NANOSECONDS);
    if (!charged) {
      countFailure();
      return 0;
    }
    Arena arena;
    try {
      arena = Arena.ofShared();
    } catch (RuntimeException | Error e) {
      refund(bytes);
      throw e;
    }
    MemorySegment segment;
    long align = Math.max(alignment, SizeClasses.PAGE);
    try {
      segment = arena.allocate(bytes, align);
    } catch (OutOfMemoryError | IllegalArgumentException refused) {
      // The native allocation failed: the operating system refused the bytes with their alignment padding
      // (the JDK asks for size + alignment when the alignment exceeds malloc's), or that sum overflows. A
      // lack of memory like the budget's: 0 for a try, AllocationFailedException for a blocking call; never
      // an Error for the caller to catch.
      arena.close();
      refund(bytes);
      if (!failLoudly) {
        return 0;
      }
      AllocationFailedException f =
          new AllocationFailedException(
              name,
              bytes,
              budget.limit(),
              budget.used(),
              name + ": the native allocation of " + bytes + " B aligned to " + align
                  + " B was refused (" + refused.getMessage() + "); ask for a smaller alignment or size,"
                  + " or leave the process more memory");
      f.initCause(refused);
      throw f;
    } catch (RuntimeException | Error e) {
      arena.close();
      refund(bytes);
      throw e;
    }
    lock.lock();
    try {
      int slot = freeCount > 0 ? freeSlots[--freeCount] : nextSlot++;
      Table t = table;
      if (slot >= t.arenas.length) {
        t = new Table(t, t.arenas.length * 2);
        table = t;
      }
      t.arenas[slot] = arena;
      t.segments[slot] = segment;
      live++;
      liveBytes += bytes;
      allocations++;
      return KIND_BITS | (t.generations[slot] & GENERATION_MASK) << SLOT_BITS | slot;
    } finally {
      lock.unlock();
    }
  }

  /** Undoes the charge of an allocation that failed after it was charged, and counts the failure. */
  private void refund(long bytes) {
    budget.credit(bytes);
    countFailure();
  }

  private void countFailure() {
    lock.lock();
    try {
      failures++;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Frees a large allocation: closes its arena and credits the budget.
   *
   * @param handle a large handle
   * @return null if freed, else why the handle is not a live large allocation (nothing changed then)
   */
  public @Nullable String free(long handle) {
    Arena arena;
    long bytes;
    lock.lock();
    try {
      String why = whyInvalidLocked(handle);
      if (why != null) {
        return why;
      }
      int slot = (int) handle;
      Table t = table;
      arena = t.arenas[slot];
      MemorySegment segment = t.segments[slot];
      if (arena == null || segment == null) {
        return "is not live";
      }
      bytes = segment.byteSize();
      t.arenas[slot] = null;
      t.segments[slot] = null;
      t.generations[slot]++;
      if (freeCount == freeSlots.length) {
        freeSlots = Arrays.copyOf(freeSlots, freeSlots.length * 2);
      }
      freeSlots[freeCount++] = slot;
      live--;
      liveBytes -= bytes;
      frees++;
    } finally {
      lock.unlock();
    }
    arena.close();
    budget.credit(bytes);
    return null;
  }

  /**
   * Returns why a handle is not a live large allocation, or null if it is one.
   *
   * @param handle a handle
   * @return the reason, or null
   */
  public @Nullable String whyInvalid(long handle) {
    lock.lock();
    try {
      return whyInvalidLocked(handle);
    } finally {
      lock.unlock();
    }
  }

  private @Nullable String whyInvalidLocked(long handle) {
    if ((handle >>> HandleCodec.KIND_SHIFT) != HandleCodec.LARGE_KIND) {
      return "is not a handle of this allocator (its kind field names no size class); free it where it was"
          + " allocated";
    }
    long slot = handle & 0xffff_ffffL;
    Table t = table;
    if (slot >= nextSlot || t.segments[(int) slot] == null) {
      return "names no live large allocation (freed already, or not allocated here)";
    }
    long generation = (handle >>> SLOT_BITS) & GENERATION_MASK;
    if (generation != (t.generations[(int) slot] & GENERATION_MASK)) {
      return "names a large allocation that was freed (stale handle: double free or use after free)";
    }
    return null;
  }

  /**
   * The segment of a live large handle, without validation beyond the kind (fast path of {@code memory(h)}).
   *
   * @param handle a live large handle
   * @return its whole segment (offset 0)
   * @throws IllegalArgumentException if the slot holds no allocation
   */
  public MemorySegment memory(long handle) {
    MemorySegment s = table.segments[(int) handle];
    if (s == null) {
      throw new IllegalArgumentException(
          name + ": handle 0x" + Long.toHexString(handle) + " names no live large allocation");
    }
    return s;
  }

  /**
   * Returns the live large allocations.
   *
   * @return the count
   */
  public long live() {
    lock.lock();
    try {
      return live;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns a snapshot of the counters: live, liveBytes, allocations, frees, failures.
   *
   * @return the five values in that order
   */
  public Counts counts() {
    lock.lock();
    try {
      return new Counts(live, liveBytes, allocations, frees, failures);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The large-allocation counters at one moment.
   *
   * @param live allocations not yet freed
   * @param liveBytes their bytes (whole pages), charged to the budget
   * @param allocations allocations since creation
   * @param frees frees since creation
   * @param failures requests the budget refused
   */
  public record Counts(long live, long liveBytes, long allocations, long frees, long failures) {}
}
