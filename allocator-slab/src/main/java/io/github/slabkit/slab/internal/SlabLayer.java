package io.github.slabkit.slab.internal;

import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.slab.ObjectConstructor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The slab layer of one cache: the slabs, their partial / full / empty lists, growth from the operating
 * system (charged to the budget) and release back to it (credited).
 *
 * <h2>Implementation overview</h2>
 * Like SLUB's per-node lists, every list and every slab's free bitmap is guarded by {@link #lock}; the
 * per-thread magazines above this layer make taking it rare (once per magazine of objects). Growth charges
 * the budget and allocates the segment <em>without</em> the lock: a charge may ask the budget's shrinkers,
 * this cache among them, to release memory, and holding the lock there would deadlock two caches that
 * shrink each other (the ABBA of lock order). Releasing a slab closes its shared arena, a handshake with
 * every thread, also outside the lock.
 *
 * <h2>Handles</h2>
 * {@code [tag:16][slab index:24][slot:24]}: the tag names the cache (non-zero, so no handle is 0), the slab
 * index selects an entry of the flat slab {@link Table}, the slot times the stride is the offset. Tags come
 * from {@link HandleTags}: unique among open caches.
 *
 * <h2>Ownership side table (double-free detection)</h2>
 * Beside each slab's free bitmap (which knows only what is free <em>in the slab</em>) the table keeps one
 * byte per object: 1 while the user holds it, 0 while it is cached anywhere (a magazine, the depot, the
 * slab). {@link #own} sets it on every path that hands an object out, {@link #disown} checks and clears it
 * on every free, so a second free of a cached object is refused wherever the object lies, in one load and
 * one compare on the fast path. A byte rather than a bit so that no read-modify-write of a shared word is
 * needed (see {@link #own} for the memory-model argument). Cost: one byte per object on the heap.
 *
 * <h2>Memory ordering</h2>
 * The slab table is read without the lock by {@link #slabAt} and {@link #memoryOf} (the path every
 * {@code memory(h)} takes: three dependent loads). It is an immutable-size {@link Table} whose arrays are
 * reached through final fields; growing it builds a new table with copies and stores the reference plainly.
 * Two guarantees make the unlocked reads safe. (1) Final-field semantics: a thread that sees a table, even
 * through a race, sees the array contents written before its constructor ended. (2) Happens-before through
 * the handle: an entry added later into an existing table is stored under the lock before any handle of that
 * slab exists, and a thread holding a handle obtained it through a chain that starts there (magazine handoff
 * through the depot queue, or the user's own synchronisation), so the store happens-before its read; the
 * same chain orders the store of a grown table before the read of {@link #table}.
 */
public final class SlabLayer {
  /** Mode: never wait, never reclaim (GFP_NOWAIT). */
  public static final int NOWAIT = 0;

  /** Mode: reclaim and wait up to the given time; interruptible. */
  public static final int TIMED = 1;

  /** Mode: reclaim and wait up to the cache's wait limit, not interruptible. */
  public static final int BLOCKING = 2;

  static final int SLOT_BITS = 24;
  static final int INDEX_BITS = 24;
  /** The bits of a handle above slot and slab index: the cache's tag. */
  private static final long TAG_FIELD = -1L << (SLOT_BITS + INDEX_BITS);
  static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
  static final int MAX_SLABS = 1 << INDEX_BITS;

  public final String name;
  public final long objectSize;
  public final long stride;
  public final int objectsPerSlab;
  public final long slabBytes;
  /** Bytes before the object inside its stride: the left red zone in debug mode, else 0. */
  public final long objectOffset;
  private final long segmentAlignment;
  private final long tag;
  private final MemoryBudget budget;
  private final @Nullable ObjectConstructor constructor;
  private final long maxWaitNanos;
  private final int maxEmptySlabs;

  public final ReentrantLock lock = new ReentrantLock();

  /**
   * Set once, under {@link #lock}, by the cache's {@code close()} before it drains the magazines. Every way
   * into the slab lists ({@link #take}, {@link #takeOneIfFree}) and into growth reads it under the lock and
   * refuses with {@link AllocatorClosedException}, so an allocation racing the close (outside the cache's
   * contract, but what a careless caller does) can never take an object the close's drain just put back,
   * nor grow a slab the close would never release. Volatile for the unlocked check in a memory wait.
   */
  private volatile boolean closed;

  /** Refuses every later way into the slab lists and growth; see {@link #closed}. */
  public void close() {
    lock.lock();
    try {
      closed = true;
    } finally {
      lock.unlock();
    }
  }

  private AllocatorClosedException closedException() {
    return new AllocatorClosedException(name, "allocate");
  }
  /** The slabs by index; replaced (never mutated in size) when it grows. Written under lock. */
  private Table table = new Table(16);

  /**
   * A flat slab table: the slab objects, their segments for the one-load {@code memory(h)}, and each slab's
   * ownership side table (see {@link #own}). An index without a slab has no segment and the shared empty
   * ownership array, so the free path needs no null check.
   */
  static final class Table {
    final @Nullable Slab[] slabs;
    final @Nullable MemorySegment[] segments;
    final byte[][] owned;

    Table(int capacity) {
      this.slabs = new Slab[capacity];
      this.segments = new MemorySegment[capacity];
      this.owned = new byte[capacity][];
      java.util.Arrays.fill(owned, NO_SLAB);
    }

    Table(Table old, int capacity) {
      this.slabs = java.util.Arrays.copyOf(old.slabs, capacity);
      this.segments = java.util.Arrays.copyOf(old.segments, capacity);
      this.owned = java.util.Arrays.copyOf(old.owned, capacity);
      java.util.Arrays.fill(owned, old.owned.length, capacity, NO_SLAB);
    }
  }

  /** The ownership array of an index that has no slab: every slot is out of its range. */
  private static final byte[] NO_SLAB = new byte[0];
  private int[] freeIndices = new int[16];
  private int freeIndexCount;
  private int nextIndex;

  private @Nullable Slab partial;
  private @Nullable Slab full;
  private @Nullable Slab empty;
  private int partialCount;
  /**
   * {@code partialCount + emptyCount}, stored with release-free opaque writes whenever a list changes, so
   * that a non-blocking allocation can see without the lock that no slab has a free object.
   */
  private int freeSlabsHint;
  private int fullCount;
  private int emptyCount;

  /** Objects handed out of the slabs (to magazines or users). Guarded by lock. */
  private long inUse;

  private long grows;
  private long releases;
  private long doubleFrees;
  private long badHandles;

  public SlabLayer(
      String name,
      long objectSize,
      long stride,
      long objectOffset,
      int objectsPerSlab,
      long segmentAlignment,
      int tag,
      MemoryBudget budget,
      @Nullable ObjectConstructor constructor,
      long maxWaitNanos,
      int maxEmptySlabs) {
    this.name = name;
    this.objectSize = objectSize;
    this.stride = stride;
    this.objectOffset = objectOffset;
    this.objectsPerSlab = objectsPerSlab;
    this.slabBytes = stride * objectsPerSlab;
    this.segmentAlignment = segmentAlignment;
    this.tag = (long) tag << (SLOT_BITS + INDEX_BITS);
    this.budget = budget;
    this.constructor = constructor;
    this.maxWaitNanos = maxWaitNanos;
    this.maxEmptySlabs = maxEmptySlabs;
  }

  // ---------------------------------------------------------------- handles

  /** Returns the slab a well-formed handle names, or null if none is there now. No lock. */
  public @Nullable Slab slabAt(long handle) {
    int index = (int) (handle >>> SLOT_BITS) & (MAX_SLABS - 1);
    @Nullable Slab[] slabs = table.slabs;
    return index < slabs.length ? slabs[index] : null;
  }

  /**
   * The segment of a handle; the fast path of {@code memory(h)}. A handle without this layer's tag ({@code 0},
   * another allocator's) or whose slab does not exist (released, never allocated) throws {@link
   * InvalidHandleException}: a mask and a compare besides the null check the JIT would otherwise make
   * implicitly.
   */
  public MemorySegment memoryOf(long handle) {
    int index = (int) (handle >>> SLOT_BITS) & (MAX_SLABS - 1);
    @Nullable MemorySegment[] segments = table.segments;
    MemorySegment s = index < segments.length ? segments[index] : null;
    if (s == null || (handle & TAG_FIELD) != tag) {
      throw new InvalidHandleException(name, handle, whyNoSegment(handle));
    }
    return s;
  }

  private String whyNoSegment(long handle) {
    String why = whyInvalid(handle);
    return why != null ? why : "names a slab that does not exist (released or never allocated)";
  }

  // ---------------------------------------------------------------- ownership side table

  /**
   * Marks the object a handle names as owned by the user (handed out). Every path that hands an object to
   * the user calls it; {@link #disown} undoes it. The byte per slot is the slab's side table for double-free
   * detection (glibc's tcache keeps a key in each free chunk for the same purpose; here object memory is
   * never written by the allocator, so the mark lives beside the slab).
   *
   * <p>Plain byte accesses: a slot's byte is written only by the thread that holds the object at that moment
   * (the allocator handing it out, the user freeing it), and the object reaches each next holder through a
   * happens-before chain (magazine handoff, the slab lock, or the user's own synchronisation), which orders
   * the writes. Distinct array elements never tear (JLS 17.6), so slots of one slab need no atomic
   * read-modify-write. A double free racing the first free on another thread without synchronisation is a
   * data race in the caller and may go undetected; debug mode detects it exactly.
   */
  public void own(long handle) {
    mark(handle, OWNED);
  }

  /**
   * {@link #own(long)} for a handle handed out through {@code tc} (the caller's thread cache, a context's
   * pair, or a locked stripe), whose countdown picks the allocations the {@link LeakSampler} records.
   */
  public void own(ThreadCache tc, long handle) {
    mark(handle, OWNED);
    if (tc.sampleDue()) {
      sample(tc, handle);
    }
  }

  private void mark(long handle, byte mark) {
    try {
      table.owned[(int) (handle >>> SLOT_BITS) & (MAX_SLABS - 1)][(int) (handle & SLOT_MASK)] = mark;
    } catch (ArrayIndexOutOfBoundsException e) {
      throw markFailed(handle, e);
    }
  }

  /**
   * An object handed out of a magazine whose slab has no marks: its slab was released under the allocation,
   * which only a {@code close()} racing it does (the close releases every slab, and a thread's own
   * magazine is popped without a lock). The documented answer to such a race is {@link
   * AllocatorClosedException}; an index error otherwise is a bug, reported as one. Cold: the handler costs
   * the fast path nothing (the JIT compiles the never-failing range check to a trap, as without it).
   */
  private RuntimeException markFailed(long handle, ArrayIndexOutOfBoundsException e) {
    if (closed) {
      AllocatorClosedException c = closedException();
      c.initCause(e);
      return c;
    }
    return new IllegalStateException("BUG " + name + ": handle 0x" + Long.toHexString(handle)
        + " was handed out of a magazine but its slab has no ownership marks", e);
  }

  /** The side-table mark of an object the user holds. */
  static final byte OWNED = 1;

  /** The mark of an object the user holds whose allocation site the {@link LeakSampler} recorded. */
  static final byte SAMPLED = 2;

  /** Sampled leak detection; off unless the cache turns it on. */
  private LeakSampler sampler = new LeakSampler(0, Long.MAX_VALUE);

  public void setLeakSampler(LeakSampler sampler) {
    this.sampler = sampler;
  }

  public LeakSampler leakSampler() {
    return sampler;
  }

  /**
   * Samples an object just handed out and marked {@link #own owned}, for {@code tc}'s countdown: rearms the
   * countdown and, when sampling is on, records the allocation site. Cold: about one allocation in the
   * sampling interval comes here.
   */
  private void sample(ThreadCache tc, long handle) {
    LeakSampler s = sampler;
    tc.rearmSample(s.nextCountdown());
    if (s.enabled()) {
      mark(handle, SAMPLED);
      s.record(handle);
    }
  }

  /**
   * Takes a handle back from the user: returns true and clears its mark if it names an object the user owns;
   * false, changing nothing, if it is free (cached in a magazine, the depot or the slab: a double free) or
   * not a live object of this layer (see {@link #whyInvalid}).
   */
  public boolean disown(long handle) {
    int index = (int) (handle >>> SLOT_BITS) & (MAX_SLABS - 1);
    int slot = (int) (handle & SLOT_MASK);
    byte[][] owned = table.owned;
    // Unsigned tests (both indexes are non-negative, so they mean the same as signed ones): the JIT compiles
    // them to the very comparisons of own's implicit range checks, so when an allocation and its free are
    // compiled together, these fold into those.
    if (Integer.compareUnsigned(index, owned.length) >= 0) {
      return false;
    }
    byte[] marks = owned[index];
    byte mark;
    if (Integer.compareUnsigned(slot, marks.length) >= 0 || (mark = marks[slot]) == 0) {
      return false;
    }
    marks[slot] = 0;
    if (mark != OWNED) {
      sampler.forget(handle); // before the object can be handed out, and sampled, again
    }
    return true;
  }

  /**
   * Whether a handle names an object the user holds now ({@link #own owned}, not freed or stashed since):
   * {@link #disown}'s test without the change. A plain read of the mark, exact for the thread that last
   * handed the object over (see {@link #own}).
   */
  public boolean isOwned(long handle) {
    if ((handle & TAG_FIELD) != tag) {
      return false;
    }
    int index = (int) (handle >>> SLOT_BITS) & (MAX_SLABS - 1);
    int slot = (int) (handle & SLOT_MASK);
    byte[][] owned = table.owned;
    if (index >= owned.length) {
      return false;
    }
    byte[] marks = owned[index];
    return slot < marks.length && marks[slot] != 0;
  }

  public long offsetOf(long handle) {
    return (handle & SLOT_MASK) * stride + objectOffset;
  }

  /** Debug hook run on every new slab before it is published (poison, red zones). */
  private @Nullable SlabDebugger debugger;

  public void setDebugger(SlabDebugger debugger) {
    this.debugger = debugger;
  }

  /** Why the handle cannot be one of ours, or null if it is well-formed and its slab exists. */
  public @Nullable String whyInvalid(long handle) {
    if (handle == 0) {
      return "is the null handle (0); there is nothing to free";
    }
    if ((handle & ~((1L << (SLOT_BITS + INDEX_BITS)) - 1)) != tag) {
      return "was not allocated by this cache (it belongs to another allocator); free it there";
    }
    if ((handle & SLOT_MASK) >= objectsPerSlab) {
      return "names slot " + (handle & SLOT_MASK) + " but slabs hold " + objectsPerSlab + " objects";
    }
    if (slabAt(handle) == null) {
      return "names a slab that does not exist (released or never allocated): a stale or forged handle";
    }
    return null;
  }

  private long handle(Slab slab, int slot) {
    return tag | ((long) slab.index << SLOT_BITS) | slot;
  }

  // ---------------------------------------------------------------- allocation

  /**
   * Takes up to {@code n} objects into {@code dst[pos..pos+n)}, growing when the lists are empty and the
   * mode allows. Returns how many were taken: fewer than {@code n} only when growth failed (then at least
   * the ones present were taken) or, if {@code exact} is false, as soon as at least one was taken. If growth
   * throws (the object constructor, the operating system), the objects this call took go back first: the
   * exception leaves nothing taken.
   */
  public int take(long[] dst, int pos, int n, boolean exact, int mode, long timeoutNanos)
      throws InterruptedException {
    int got = 0;
    long deadline = mode == TIMED ? System.nanoTime() + timeoutNanos : 0;
    boolean waitStarted = false; // BLOCKING: maxWait runs from the first time this call needs a slab
    int charges = 0; // attempts to charge a slab: the first one always runs, even past the deadline
    for (; ; ) {
      boolean refused;
      lock.lock();
      try {
        refused = closed;
        if (!refused) {
          got += takeLocked(dst, pos + got, n - got);
        }
      } finally {
        lock.unlock();
      }
      if (refused) {
        giveBackRange(dst, pos, got);
        throw closedException();
      }
      if (got == n || (got > 0 && !exact)) {
        return got;
      }
      if (mode == BLOCKING && !waitStarted) {
        long now = System.nanoTime();
        deadline = maxWaitNanos > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + maxWaitNanos;
        waitStarted = true;
      } else if (mode != NOWAIT && charges > 0 && System.nanoTime() - deadline >= 0) {
        // The deadline bounds the whole call, waits or not: an all-or-nothing request that keeps growing and
        // giving back (reclaim releasing what it gave back) must end too.
        return got;
      }
      if (exact && mode != NOWAIT && ((long) n + objectsPerSlab - 1) / objectsPerSlab * slabBytes > budget.limit()) {
        return got; // can never fit: fail now rather than churn slabs until the deadline
      }
      Slab slab;
      try {
        int charged;
        charges++;
        if (budget.tryCharge(slabBytes)) {
          charged = CHARGED;
        } else if (mode == NOWAIT) {
          charged = NOT_CHARGED;
        } else {
          if (got > 0) {
            // An all-or-nothing request (a bulk or a sheaf) that must wait holds nothing while it waits: it
            // gives back what it took and waits until the whole request fits (DESIGN, liveness rules).
            giveBackRange(dst, pos, got);
            got = 0;
          }
          charged = charge(mode, deadline, exact ? n : 1);
        }
        if (charged == OBJECTS_CAME_BACK) {
          continue; // take them from the lists: no new slab needed
        }
        slab = charged == CHARGED ? grow() : null;
      } catch (Throwable t) {
        giveBackRange(dst, pos, got);
        throw t;
      }
      if (slab == null) {
        return got;
      }
      boolean closedSinceGrowth;
      lock.lock();
      try {
        addToList(slab, Slab.EMPTY);
        grows++;
        closedSinceGrowth = closed;
      } finally {
        lock.unlock();
      }
      if (closedSinceGrowth) {
        // Grown while the cache closed: the close's final release of empty slabs may have run already.
        giveBackRange(dst, pos, got);
        releaseEmpty();
        throw closedException();
      }
      SlabEvents.grow(name, slabBytes, objectsPerSlab);
    }
  }

  private void giveBackRange(long[] src, int pos, int n) {
    if (n == 0) {
      return;
    }
    if (pos == 0) {
      giveBack(src, n);
    } else {
      giveBack(java.util.Arrays.copyOfRange(src, pos, pos + n), n);
    }
  }

  private int takeLocked(long[] dst, int pos, int n) {
    int got = 0;
    while (got < n) {
      Slab s = firstFreeLocked();
      if (s == null) {
        break;
      }
      int take = Math.min(n - got, s.freeCount);
      for (int i = 0; i < take; i++) {
        dst[pos + got + i] = handle(s, s.takeSlot());
      }
      got += take;
      relist(s);
    }
    inUse += got;
    return got;
  }

  /**
   * Creates a slab outside the lock, charging the budget per mode. Null if the budget refused. If anything
   * after the charge throws (the segment allocation, the object constructor, the debug initialisation), the
   * arena is closed and the charge credited before the exception propagates: nothing leaks.
   */
  @SuppressWarnings("MustBeClosedChecker") // the arena lives as long as the slab; releaseAll closes it
  private Slab grow() {
    Arena arena = Arena.ofShared();
    boolean published = false;
    try {
      MemorySegment segment = arena.allocate(slabBytes, segmentAlignment);
      if (constructor != null) {
        for (int i = 0; i < objectsPerSlab; i++) {
          constructor.construct(segment.asSlice(i * stride + objectOffset, objectSize));
        }
      }
      SlabDebugger d = debugger;
      if (d != null) {
        d.initSlab(segment, objectsPerSlab);
      }
      byte[] marks = new byte[objectsPerSlab];
      lock.lock();
      try {
        if (closed) {
          throw closedException(); // nothing published: the finally gives the memory and the charge back
        }
        int index = newIndex();
        if (index < 0) {
          throw new IllegalStateException(name + ": more than " + MAX_SLABS + " slabs; use larger slabs");
        }
        Slab slab = new Slab(index, arena, segment, objectsPerSlab);
        Table t = table;
        if (index >= t.slabs.length) {
          t = new Table(t, Math.min(MAX_SLABS, Math.max(index + 1, t.slabs.length * 2)));
          table = t;
        }
        t.slabs[index] = slab;
        t.segments[index] = segment;
        t.owned[index] = marks;
        published = true;
        return slab;
      } finally {
        lock.unlock();
      }
    } finally {
      if (!published) {
        arena.close();
        budget.credit(slabBytes);
      }
    }
  }

  /** {@link #charge}: the budget charged one slab. */
  private static final int CHARGED = 0;

  /** {@link #charge}: objects came back to this layer's slab lists; take them instead of growing. */
  private static final int OBJECTS_CAME_BACK = 1;

  /** {@link #charge}: no slab could be charged in this mode before the deadline. */
  private static final int NOT_CHARGED = 2;

  /** A waiting grower runs the budget's reclaim again this often (what frees leave in the depot). */
  private static final long RECLAIM_AGAIN_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  /**
   * Charges the budget for one slab, per mode: NOWAIT never reclaims or waits; TIMED and BLOCKING reclaim
   * (every registered shrinker, this cache's own included) and then wait, until {@code deadline}, for
   * whichever comes first: credit for a slab, or objects back in this layer's slab lists.
   *
   * <p>Why the second: a waiter must not wait while what it needs is at hand. Reclaim flushes magazines of
   * dead threads and the depot into the slab lists, and frees flush magazines there while this thread waits,
   * often without emptying a slab, so without a credit to the budget. {@link #giveBack} wakes the budget's
   * waiters when it put objects in the lists ({@link MemoryBudget#wakeWaiters()}); the wait re-checks the
   * lists under the budget's lock after counting itself a waiter, so no wake-up is lost ({@link
   * MemoryBudget#awaitCredit}). Objects that frees leave in the depot or in other threads' magazines are
   * found by the reclaim this loop runs again every {@link #RECLAIM_AGAIN_NANOS}.
   *
   * <p>Wait-for argument: the waiter holds no lock and no object ({@link #take} gives back what an
   * all-or-nothing request took before it waits, and waits until {@code need} objects are in the lists or a
   * slab can be charged); it waits for a credit or frees, which other threads make without waiting for it.
   *
   * @param mode {@link #TIMED} or {@link #BLOCKING}
   * @param deadline the {@link System#nanoTime()} to give up at
   * @param need how many free objects in the lists make a new slab unnecessary
   */
  private int charge(int mode, long deadline, int need) throws InterruptedException {
    RECLAIMING_FOR.set(this);
    try {
      return chargeReclaiming(mode, deadline, need);
    } finally {
      RECLAIMING_FOR.remove();
    }
  }

  /**
   * The layer whose {@link #charge} runs on this thread, or null. Its own shrinker, asked by the budget's
   * reclaim that the charge runs, flushes magazines into the slabs but keeps its empty slabs ({@link
   * #reclaimingForItself}): releasing one would credit the budget with exactly the slab the charge then maps
   * again. An all-or-nothing request that did not fit churned that way until it fitted, unmapping and mapping
   * a slab per round, and each release closes a shared arena, a handshake with every thread: two bulk
   * allocators of one cache on one CPU took tens of seconds for what takes milliseconds. Other caches'
   * shrinkers release their empty slabs as before; that credit is what a charge needs.
   */
  private static final ThreadLocal<@Nullable SlabLayer> RECLAIMING_FOR = new ThreadLocal<>();

  /**
   * Whether this thread runs the budget's reclaim for this layer's own growth (see {@link #RECLAIMING_FOR}).
   *
   * @return whether the caller's shrink of this layer should keep its empty slabs
   */
  public boolean reclaimingForItself() {
    return RECLAIMING_FOR.get() == this;
  }

  private int chargeReclaiming(int mode, long deadline, int need) throws InterruptedException {
    BooleanSupplier enough = () -> freeInLists(need);
    boolean interrupted = false; // BLOCKING keeps an interrupt for the caller; TIMED throws it
    try {
      for (; ; ) {
        if (closed) {
          throw closedException(); // the cache closed while this allocation waited for memory
        }
        budget.reclaim(slabBytes);
        if (budget.tryCharge(slabBytes)) {
          return CHARGED;
        }
        if (enough.getAsBoolean()) {
          return OBJECTS_CAME_BACK;
        }
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
          return NOT_CHARGED;
        }
        try {
          budget.awaitCredit(
              slabBytes, Math.min(remaining, RECLAIM_AGAIN_NANOS), TimeUnit.NANOSECONDS, enough);
        } catch (InterruptedException e) {
          if (mode == TIMED) {
            throw e;
          }
          interrupted = true;
        }
        if (budget.tryCharge(slabBytes)) {
          return CHARGED;
        }
        if (enough.getAsBoolean()) {
          return OBJECTS_CAME_BACK;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Whether the slab lists hold at least {@code need} free objects (takes the slab lock briefly). */
  private boolean freeInLists(int need) {
    lock.lock();
    try {
      long free = (long) (partialCount + fullCount + emptyCount) * objectsPerSlab - inUse;
      return free >= need;
    } finally {
      lock.unlock();
    }
  }

  private int newIndex() {
    if (freeIndexCount > 0) {
      return freeIndices[--freeIndexCount];
    }
    return nextIndex < MAX_SLABS ? nextIndex++ : -1;
  }

  // ---------------------------------------------------------------- free

  /**
   * Returns {@code src[0..n)} to their slabs. Handles that are already free in their slab (which the
   * ownership side table above makes an internal error) are counted as double frees and skipped, so the
   * cache stays consistent. Empty slabs beyond the kept limit are released after the lock is dropped.
   *
   * @return the bytes released to the operating system (and credited to the budget) by this call
   */
  public long giveBack(long[] src, int n) {
    List<Slab> release = null;
    lock.lock();
    try {
      for (int i = 0; i < n; i++) {
        returnLocked(src[i]);
      }
      if (emptyCount > maxEmptySlabs) {
        release = unlinkEmpty(emptyCount - maxEmptySlabs);
      }
    } finally {
      lock.unlock();
    }
    return afterGiveBack(release, n);
  }

  /** {@link #giveBack} of one handle, without an array (a virtual thread's free when its stripes are busy). */
  public long giveBackOne(long h) {
    List<Slab> release = null;
    lock.lock();
    try {
      returnLocked(h);
      if (emptyCount > maxEmptySlabs) {
        release = unlinkEmpty(emptyCount - maxEmptySlabs);
      }
    } finally {
      lock.unlock();
    }
    return afterGiveBack(release, 1);
  }

  /**
   * Takes one free object from the slab lists, without growing and without an array; 0 if the lists have
   * none (the caller then takes the growing path, {@link #take}).
   */
  public long takeOneIfFree() {
    lock.lock();
    try {
      if (closed) {
        throw closedException();
      }
      Slab s = firstFreeLocked();
      if (s == null) {
        return 0;
      }
      long h = handle(s, s.takeSlot());
      relist(s);
      inUse++;
      return h;
    } finally {
      lock.unlock();
    }
  }

  /** The slab to take from: a partial one first (keeping empty slabs releasable), else an empty one. */
  private @Nullable Slab firstFreeLocked() {
    Slab s = partial;
    return s != null ? s : empty;
  }

  private void returnLocked(long h) {
    Slab s = slabAt(h);
    if (s == null || (h & SLOT_MASK) >= s.objects) {
      badHandles++;
      return;
    }
    if (!s.returnSlot((int) (h & SLOT_MASK))) {
      doubleFrees++;
      return;
    }
    inUse--;
    relist(s);
  }

  private long afterGiveBack(@Nullable List<Slab> release, int n) {
    long released = release != null ? releaseAll(release) : 0;
    if (n > 0 && budget.waitingThreads() > 0) {
      // A grower of this cache may be waiting for memory that these objects make unnecessary (see charge);
      // after the lists were updated, so its re-check under the budget's lock sees them.
      budget.wakeWaiters();
    }
    return released;
  }

  /** Whether the slot a handle names is free inside the slab layer (debug and tests). */
  public boolean isFreeInSlab(long handle) {
    lock.lock();
    try {
      Slab s = slabAt(handle);
      return s != null && s.isSlotFree((int) (handle & SLOT_MASK));
    } finally {
      lock.unlock();
    }
  }

  /** Releases every empty slab; returns the bytes credited to the budget. */
  public long releaseEmpty() {
    List<Slab> release;
    lock.lock();
    try {
      release = unlinkEmpty(emptyCount);
    } finally {
      lock.unlock();
    }
    return releaseAll(release);
  }

  private List<Slab> unlinkEmpty(int count) {
    List<Slab> out = new ArrayList<>(count);
    while (count-- > 0 && empty != null) {
      Slab s = empty;
      unlink(s);
      table.slabs[s.index] = null;
      table.segments[s.index] = null;
      table.owned[s.index] = NO_SLAB;
      if (freeIndexCount == freeIndices.length) {
        freeIndices = java.util.Arrays.copyOf(freeIndices, freeIndices.length * 2);
      }
      freeIndices[freeIndexCount++] = s.index;
      releases++;
      out.add(s);
    }
    return out;
  }

  private long releaseAll(List<Slab> slabs) {
    long bytes = 0;
    for (Slab s : slabs) {
      s.arena.close();
      budget.credit(slabBytes);
      bytes += slabBytes;
      SlabEvents.release(name, slabBytes);
    }
    return bytes;
  }

  // ---------------------------------------------------------------- lists

  private void relist(Slab s) {
    int want = s.freeCount == 0 ? Slab.FULL : s.freeCount == s.objects ? Slab.EMPTY : Slab.PARTIAL;
    if (s.list != want) {
      unlink(s);
      addToList(s, want);
    }
  }

  /**
   * Whether a GFP_NOWAIT allocation would fail anyway: no slab has a free object and the budget has no room
   * for a new slab. Read without the lock; it may miss an object freed to the slabs a moment ago, which a
   * non-blocking call may (it promises an object only when one is at hand). Makes the refusal of an
   * exhausted cache cheap: a mempool calls it on every allocation once its backing runs dry.
   */
  public boolean exhaustedForNowait() {
    return (int) FREE_SLABS_HINT.getOpaque(this) == 0 && budget.available() < slabBytes;
  }

  private void addToList(Slab s, int list) {
    s.list = list;
    s.prev = null;
    switch (list) {
      case Slab.EMPTY -> {
        s.next = empty;
        if (empty != null) {
          empty.prev = s;
        }
        empty = s;
        emptyCount++;
      }
      case Slab.PARTIAL -> {
        s.next = partial;
        if (partial != null) {
          partial.prev = s;
        }
        partial = s;
        partialCount++;
      }
      default -> {
        s.next = full;
        if (full != null) {
          full.prev = s;
        }
        full = s;
        fullCount++;
      }
    }
    FREE_SLABS_HINT.setOpaque(this, partialCount + emptyCount);
  }

  private void unlink(Slab s) {
    Slab p = s.prev;
    Slab n = s.next;
    if (n != null) {
      n.prev = p;
    }
    if (p != null) {
      p.next = n;
    } else {
      switch (s.list) {
        case Slab.EMPTY -> empty = n;
        case Slab.PARTIAL -> partial = n;
        case Slab.FULL -> full = n;
        default -> {}
      }
    }
    switch (s.list) {
      case Slab.EMPTY -> emptyCount--;
      case Slab.PARTIAL -> partialCount--;
      case Slab.FULL -> fullCount--;
      default -> {}
    }
    s.prev = null;
    s.next = null;
    s.list = -1;
    FREE_SLABS_HINT.setOpaque(this, partialCount + emptyCount);
  }

  // ---------------------------------------------------------------- statistics and close

  /** A consistent snapshot of the layer's counts, taken under the lock. */
  public record Counts(
      long inUse,
      int partialSlabs,
      int fullSlabs,
      int emptySlabs,
      long grows,
      long releases,
      long doubleFrees,
      long badHandles) {
    public int totalSlabs() {
      return partialSlabs + fullSlabs + emptySlabs;
    }
  }

  public Counts counts() {
    lock.lock();
    try {
      return new Counts(
          inUse, partialCount, fullCount, emptyCount, grows, releases, doubleFrees, badHandles);
    } finally {
      lock.unlock();
    }
  }

  /** Emits the JFR failure event. */
  public void recordFailure(int mode) {
    SlabEvents.failure(
        name, mode == NOWAIT ? "tryAllocate" : mode == TIMED ? "timed" : "allocate", budget.used(), budget.limit());
  }

  public long tag() {
    return tag;
  }

  // VarHandle mechanics
  private static final java.lang.invoke.VarHandle FREE_SLABS_HINT;

  static {
    try {
      FREE_SLABS_HINT =
          java.lang.invoke.MethodHandles.lookup().findVarHandle(SlabLayer.class, "freeSlabsHint", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
