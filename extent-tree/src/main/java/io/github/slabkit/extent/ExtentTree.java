package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.CTL_BITS;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static io.github.slabkit.extent.ExtentBits.LOCK_BITS;

import io.github.slabkit.allocator.ObjectAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A set of inclusive byte ranges {@code [start, end]} carrying {@link ExtentBits bits}, with exclusive
 * range locks: an off-heap port of the btrfs {@code extent_io_tree}.
 *
 * {@snippet class=io.github.slabkit.examples.snippets.ExtentTreeExamples region=writeback}
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Thread safety.</b> Every method may be called from any thread. Actions in a thread before it
 *       changes bits happen-before the actions of a thread that later observes those bits through this
 *       tree; in particular, actions before {@link #unlock} happen-before the return of the {@link #lock}
 *       that next acquires an overlapping range.
 *   <li><b>No failure for lack of memory</b> when states come through a {@code Mempool} (the default): an
 *       operation that needs a new state waits for one instead, holding nothing.
 *   <li><b>Frees never need memory.</b> A clear or unlock covering whole states, and a set that only adds
 *       bits to whole states, never allocate and never wait for memory. {@link #clear}, {@link #unlock},
 *       {@link #convert} and {@link #lockForReclaim} allocate with the mempool's reclaiming priority, so
 *       the operations that give memory back progress after ordinary ones have drained the pool.
 *   <li><b>Nothing lost when the pool throws.</b> If the state pool's allocation throws, the operation
 *       stops at a consistent point holding nothing (a lock undoes its prefix) and rethrows. If its {@code
 *       free} throws, the operation does not fail for it and does not stop half-way: the tree keeps the
 *       state and offers it again at every later operation; {@link #statistics()} counts those it holds
 *       ({@link ExtentTreeStatistics#strayStates()}), and {@link #close()} reports those still refused.
 *   <li><b>No hold-and-wait.</b> No operation waits for memory or for a range lock while it holds part of
 *       a range or a state it allocated: {@link #lock} undoes the prefix it locked before it waits, then
 *       retries the whole range. The wait-for argument is in the {@link io.github.slabkit.extent package
 *       documentation}.
 *   <li><b>Zero garbage.</b> With reused {@link RangeResult}, {@link ExtentChangeset}, {@link CachedState},
 *       {@link LockedRange} and {@link ExtentVisitor} objects, operations allocate no heap objects.
 * </ul>
 *
 * <h2>Not guaranteed</h2>
 * Range locks are not fair, not reentrant, and have no owner (any thread may unlock). A set, convert or
 * lock that waits for memory between two holes lets other threads see it half done, as btrfs does; a lock
 * never exposes a state it does not hold. A failed {@link #tryLock} leaves every byte's bits as they were,
 * but may leave a state split where the attempt started, as btrfs's does. The mempool reserve guarantees
 * the progress of operations in flight, not unbounded growth: if live states fill the budget and the
 * reserve, the next operation that needs a state waits until one is freed. A lock that needs many new
 * states (a range over many holes) may wait while memory is short, holding nothing.
 *
 * <h2>Errors</h2>
 * Offsets are non-negative {@code long}s; ranges are inclusive. A negative offset, {@code start > end},
 * undefined bits or bits not allowed for the operation (a query's bits must name a storable bit and no
 * {@linkplain ExtentBits#CTL_BITS control bit}, which no state carries) throw
 * {@link IllegalArgumentException}; unlocking a range that is not entirely locked throws
 * {@link IllegalStateException} naming the first byte that is not; in every such case the tree is
 * unchanged. {@link #close()} refuses, naming them, while ranges are
 * locked or threads wait.
 *
 * <h2>Implementation notes</h2>
 * Disjoint extent states ordered by start live in an off-heap red-black tree, one 48-byte state per node,
 * links are allocator handles. One {@link java.util.concurrent.locks.ReentrantLock} guards the structure,
 * like btrfs's spinlock; hooks and visitors run under it and must not call back into the tree (that throws
 * {@link IllegalStateException}). The rules are btrfs's: a set fills holes and splits states straddling the
 * range ends; a clear splits likewise and removes states left with no bits; a state merges with equal-bit
 * neighbours unless it has a lock bit or {@link ExtentBits#BOUNDARY}. States are allocated lazily, only
 * where an operation splits or fills a hole: first from a small per-tree stash of spare states, then from
 * the pool without waiting, and otherwise, with the lock and everything the operation holds given back,
 * by waiting for one state and searching again (btrfs's {@code search_again}). All state fields are plain
 * and read and written under the tree lock; a range-lock waiter's wake flag is volatile and written before
 * {@code unpark}. See the {@code README} for where the port differs from btrfs, and why.
 *
 * <p>An unlock proves its range locked before it clears it. A lock remembers the range it was granted
 * (the tree its last grant, a {@link LockedRange} its own) with the tree's lock epoch, a count that every
 * removal of lock bits advances; an unlock of a granted range while the epoch is unchanged skips the
 * search that would check it (a stale grant only costs that search).
 *
 * <p>A tree built with {@link ExtentTreeBuilder#bTree()} keeps the same states, with the same rules, hooks
 * and liveness, in an off-heap B+tree instead: leaves of up to 49 states as sorted arrays, linked both
 * ways, under inner nodes of separator keys, every node one {@link ExtentTreeBuilder#NODE_SIZE}-byte
 * object of the pool. Only inserting a state can need memory (a leaf split and its chain, at most the
 * height plus one nodes, taken all or nothing). Its queries ({@link #stateAt}, {@link #bitsAt},
 * {@link #rangeHasAll}, {@link #rangeHasAny}, {@link #rangeBits}, the {@code find} methods and
 * {@link #countBytes}) are optimistic: they read without the tree lock and keep the result only if no node
 * they read (and not the tree's shape) changed meanwhile, so each still returns what the tree held at one
 * instant while a writer changing other nodes does not disturb them, and take the lock after a few failed
 * attempts. Memory-consistency effects are as with the lock: a query that
 * observes a change happens-after the operation that made it. {@link #forEach} and {@link #states} take
 * the lock.
 */
// The snippets are external (the compiled, tested examples module), which Error Prone cannot see.
@SuppressWarnings("InvalidSnippet")
public final class ExtentTree implements AutoCloseable {
  private static final int DESCRIBE_MAX = 8;

  private final String name;
  private final ObjectAllocator pool;
  private final ObjectAllocator memory;
  private final List<AutoCloseable> owned;
  private final TreeCore core;
  private final TreeQueries queries;
  private final TreeLocks locks;

  ExtentTree(
      String name, ObjectAllocator pool, ObjectAllocator memory, ExtentHooks hooks, List<AutoCloseable> owned,
      int leafCapacity, int fanout) {
    this.name = name;
    this.pool = pool;
    this.memory = memory;
    this.owned = owned;
    this.core = new TreeCore(name, pool, memory, hooks, leafCapacity, fanout);
    this.queries = new TreeQueries(core);
    this.locks = new TreeLocks(name, core);
  }

  /**
   * Starts building a tree.
   *
   * @param name the name used in messages and in the names of the slab cache and mempool it creates
   * @return a builder
   */
  public static ExtentTreeBuilder builder(String name) {
    return new ExtentTreeBuilder(name);
  }

  /**
   * Returns the name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the allocator states are allocated from (the mempool).
   *
   * @return the pool
   */
  public ObjectAllocator statePool() {
    return pool;
  }

  /**
   * Returns the allocator whose memory holds the states (the slab cache).
   *
   * @return the state memory
   */
  public ObjectAllocator stateMemory() {
    return memory;
  }

  /**
   * Returns the slab cache holding the states, if they live in one (the default).
   *
   * @return the slab cache, or null
   */
  public io.github.slabkit.slab.@Nullable SlabCache slabCache() {
    return memory instanceof io.github.slabkit.slab.SlabCache c ? c : null;
  }

  /**
   * Returns the mempool states come through, if they do (the default).
   *
   * @return the mempool, or null
   */
  public io.github.slabkit.mempool.@Nullable Mempool mempool() {
    return pool instanceof io.github.slabkit.mempool.Mempool m ? m : null;
  }

  // ---------------------------------------------------------------- set, clear, convert

  /**
   * Sets {@code bits} on every byte of {@code [start, end]}. Waits for memory only if it must create a
   * state (to fill a hole or split a state at a range end), holding nothing while it waits.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits; not lock bits (use {@link #lock}), not {@link ExtentBits#CLEAR_ALL_BITS}, at least
   *     one storable bit; other control bits reach the hooks only
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void set(long start, long end, int bits) {
    set(start, end, bits, null, null);
  }

  /**
   * Sets {@code bits} on every byte of {@code [start, end]}, recording what changed.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits as {@link #set(long, long, int)}
   * @param changeset receives the ranges that lacked one of the bits, or null
   * @param cached a position hint to start from and to update, or null
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void set(
      long start, long end, int bits, @Nullable ExtentChangeset changeset, @Nullable CachedState cached) {
    checkRange("set", start, end);
    checkDefined("set", bits);
    if ((bits & LOCK_BITS) != 0) {
      throw bad("set", "lock bits " + ExtentBits.toString(bits & LOCK_BITS) + " are set by lock()/tryLock()");
    }
    if ((bits & CLEAR_ALL_BITS) != 0) {
      throw bad("set", "CLEAR_ALL_BITS is a request for clear()");
    }
    if ((bits & ~CTL_BITS) == 0) {
      throw bad("set", "no storable bit in " + ExtentBits.toString(bits));
    }
    core.set(start, end, bits, changeset == null ? null : changeset.log, cached);
  }

  /**
   * Clears {@code bits} from every byte of {@code [start, end]}; states left without bits are removed.
   * Needs memory only to split a state that straddles a range end, and then allocates with the mempool's
   * reclaiming priority; a clear of whole states never waits for memory.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits; {@link ExtentBits#CLEAR_ALL_BITS} clears every bit, clearing
   *     {@link ExtentBits#DELALLOC} also clears {@link ExtentBits#NORESERVE}, clearing lock bits wakes the
   *     waiters of the cleared ranges (without the check {@link #unlock} makes)
   * @throws IllegalArgumentException on a bad range or undefined bits; the tree is unchanged
   */
  public void clear(long start, long end, int bits) {
    clear(start, end, bits, null, null);
  }

  /**
   * Clears {@code bits} from every byte of {@code [start, end]}, recording what changed.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits as {@link #clear(long, long, int)}
   * @param changeset receives the ranges that had one of the bits, or null
   * @param cached a position hint to start from and to update, or null
   * @throws IllegalArgumentException on a bad range or undefined bits; the tree is unchanged
   */
  public void clear(
      long start, long end, int bits, @Nullable ExtentChangeset changeset, @Nullable CachedState cached) {
    checkRange("clear", start, end);
    checkDefined("clear", bits);
    core.clear(start, end, TreeCore.expandClear(bits), changeset == null ? null : changeset.log, cached);
  }

  /**
   * Sets {@code bits} and clears {@code clearBits} on every byte of {@code [start, end]} in one pass; holes
   * receive {@code bits}. Allocates, where it must, with the mempool's reclaiming priority.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits to set: at least one storable bit, no lock bits
   * @param clearBits the bits to clear: no lock bits, none of {@code bits}
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void convert(long start, long end, int bits, int clearBits) {
    convert(start, end, bits, clearBits, null);
  }

  /**
   * As {@link #convert(long, long, int, int)}, with a position hint.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits to set
   * @param clearBits the bits to clear
   * @param cached a position hint to start from and to update, or null
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void convert(long start, long end, int bits, int clearBits, @Nullable CachedState cached) {
    checkRange("convert", start, end);
    checkDefined("convert", bits | clearBits);
    if (((bits | clearBits) & (LOCK_BITS | CLEAR_ALL_BITS)) != 0) {
      throw bad("convert", "lock bits and CLEAR_ALL_BITS are not convertible");
    }
    if ((bits & ~CTL_BITS) == 0) {
      throw bad("convert", "no storable bit to set in " + ExtentBits.toString(bits));
    }
    if ((bits & clearBits) != 0) {
      throw bad("convert", "bits to set and to clear overlap: " + ExtentBits.toString(bits & clearBits));
    }
    core.convert(start, end, bits, clearBits, cached);
  }

  // ---------------------------------------------------------------- range locks

  /**
   * Locks {@code [start, end]} with {@link ExtentBits#LOCKED}, waiting uninterruptibly while any part of
   * it is locked; an interrupt during the wait is restored on return.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @throws IllegalArgumentException on a bad range; the tree is unchanged
   */
  public void lock(long start, long end) {
    lock(start, end, LOCKED, null);
  }

  /**
   * Locks {@code [start, end]} with the lock bits in {@code bits}, also setting its other bits once the
   * range is held, waiting uninterruptibly while any part of the range has one of those lock bits (btrfs
   * {@code lock_extent}). While it waits, for another lock or for memory, it holds no part of the range.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits at least one lock bit, plus optionally bits to set with it
   * @param cached a position hint to start from and to update, or null
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void lock(long start, long end, int bits, @Nullable CachedState cached) {
    locks.lock(start, end, bits, cached, false);
  }

  /**
   * As {@link #lock(long, long, int, CachedState)}, for a lock taken in order to give memory back (a
   * flusher's, before it clears the range): the states it creates come with the mempool's reclaiming
   * priority, so it progresses after ordinary operations have drained the pool to its headroom.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits at least one lock bit, plus optionally bits to set with it
   * @param cached a position hint to start from and to update, or null
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void lockForReclaim(long start, long end, int bits, @Nullable CachedState cached) {
    locks.lock(start, end, bits, cached, true);
  }

  /**
   * Locks {@code [start, end]} with {@link ExtentBits#LOCKED} into a reusable holder, for
   * try-with-resources: {@link LockedRange#close()} unlocks. With a reused holder nothing is allocated.
   *
   * {@snippet class=io.github.slabkit.examples.snippets.ExtentTreeExamples region=locked-range}
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param holder a holder that holds no range
   * @return {@code holder}, now holding the range
   * @throws IllegalArgumentException on a bad range; the tree is unchanged
   * @throws IllegalStateException if {@code holder} still holds a range
   */
  public LockedRange lock(long start, long end, LockedRange holder) {
    return locks.lock(start, end, holder);
  }

  /**
   * As {@link #lock(long, long, int, CachedState)}, but interruptible.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits at least one lock bit, plus optionally bits to set with it
   * @param cached a position hint to start from and to update, or null
   * @throws InterruptedException if the thread is interrupted before or while waiting for another lock; it
   *     then holds no part of the range (a wait for memory is not interruptible)
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public void lockInterruptibly(long start, long end, int bits, @Nullable CachedState cached)
      throws InterruptedException {
    locks.lockInterruptibly(start, end, bits, cached);
  }

  /**
   * Locks {@code [start, end]} with {@link ExtentBits#LOCKED} if no part of it is locked, without waiting
   * for other locks. It may wait for memory, as {@link #tryLock(long, long, int, CachedState)} says.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @return whether the range is now locked by this call; if not, every byte's bits are as before
   * @throws IllegalArgumentException on a bad range; the tree is unchanged
   */
  public boolean tryLock(long start, long end) {
    return tryLock(start, end, LOCKED, null);
  }

  /**
   * Locks {@code [start, end]} with the lock bits in {@code bits} if no part of it has them, without
   * waiting for other locks (btrfs {@code try_lock_extent}). Like a set, it may wait for memory if it must
   * create a state, holding no part of the range meanwhile.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits at least one lock bit, plus optionally bits to set with it
   * @param cached a position hint to start from and to update, or null
   * @return whether the range is now locked by this call; if not, every byte's bits are as before (a state
   *     may be left split where the attempt started, as in btrfs)
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public boolean tryLock(long start, long end, int bits, @Nullable CachedState cached) {
    return locks.tryLock(start, end, bits, cached);
  }

  /**
   * As {@link #tryLock(long, long)}, into a reusable holder for try-with-resources.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param holder a holder that holds no range
   * @return whether the range is now locked; if so {@code holder} holds it, else it holds nothing
   * @throws IllegalStateException if {@code holder} still holds a range
   */
  public boolean tryLock(long start, long end, LockedRange holder) {
    return locks.tryLock(start, end, holder);
  }

  /**
   * Locks {@code [start, end]} with the lock bits in {@code bits}, waiting at most {@code timeout} for
   * other locks.
   *
   * <p>The timeout bounds the wait for other locks only. Like a set, the lock may have to wait for memory
   * when it must create states and none is at hand (the tree's budget is exhausted), holding no part of the
   * range meanwhile; that wait is the tree pool's blocking allocation, which the timeout does not bound and
   * an interrupt does not end (a mempool's never fails: it ends when states are freed). So the call can
   * take longer than {@code timeout} only while the tree is out of memory.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits at least one lock bit, plus optionally bits to set with it
   * @param timeout how long to wait at most
   * @param unit the unit of {@code timeout}
   * @return whether the range was locked in time; if not, this call holds no part of it
   * @throws InterruptedException if the thread is interrupted before or while waiting
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   */
  public boolean tryLock(long start, long end, int bits, long timeout, TimeUnit unit)
      throws InterruptedException {
    return locks.tryLock(start, end, bits, timeout, unit);
  }

  /**
   * Unlocks {@code [start, end]}: clears {@link ExtentBits#LOCKED} and wakes the waiters of the range.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @throws IllegalArgumentException on a bad range; the tree is unchanged
   * @throws IllegalStateException if some byte of the range is not locked; the tree is unchanged
   */
  public void unlock(long start, long end) {
    unlock(start, end, LOCKED, null);
  }

  /**
   * Unlocks {@code [start, end]}: checks that every byte has the lock bits of {@code bits}, then clears
   * {@code bits} (btrfs {@code unlock_extent}) and wakes the waiters of the range. Unlocking a range
   * exactly as it was locked needs no memory; unlocking part of a locked range splits a state, with the
   * mempool's reclaiming priority.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits at least one lock bit, plus optionally other bits to clear with it
   * @param cached a position hint to start from and to update, or null
   * @throws IllegalArgumentException on a bad range or bits; the tree is unchanged
   * @throws IllegalStateException naming the first byte that lacks one of the lock bits; the tree is
   *     unchanged
   */
  public void unlock(long start, long end, int bits, @Nullable CachedState cached) {
    locks.unlock(start, end, bits, cached);
  }

  /**
   * Waits, without locking, until no byte of {@code [start, end]} has any of the lock bits in {@code bits}
   * (btrfs {@code wait_extent_bit}). Uninterruptible; an interrupt is restored on return. The range may be
   * locked again by the time the caller acts.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits lock bits only
   * @throws IllegalArgumentException on a bad range, or bits that are not lock bits (only clearing lock
   *     bits wakes waiters)
   */
  public void waitForClear(long start, long end, int bits) {
    locks.waitForClear(start, end, bits);
  }

  /** The range locks, for {@link LockedRange} and tests. */
  TreeLocks locks() {
    return locks;
  }

  // ---------------------------------------------------------------- queries

  /**
   * Finds the state containing {@code offset}: a point lookup.
   *
   * @param offset the offset, {@code >= 0}
   * @param out receives the state's range and bits
   * @return whether a state contains the offset
   */
  public boolean stateAt(long offset, RangeResult out) {
    checkOffset("stateAt", offset);
    return queries.stateAt(offset, out);
  }

  /**
   * Returns the bits of the byte at {@code offset}: a point lookup.
   *
   * @param offset the offset, {@code >= 0}
   * @return the bits, 0 in a hole
   */
  public int bitsAt(long offset) {
    checkOffset("bitsAt", offset);
    return queries.bitsAt(offset);
  }

  /**
   * Finds the first state with any of {@code bits} that ends at or after {@code from} (btrfs
   * {@code find_first_extent_bit}); its start may be before {@code from}.
   *
   * @param from the offset, {@code >= 0}
   * @param bits the bits, any of which matches: at least one storable bit, no control bit
   * @param out receives the state
   * @return whether one was found
   */
  public boolean findFirst(long from, int bits, RangeResult out) {
    return findFirst(from, bits, out, null);
  }

  /**
   * As {@link #findFirst(long, int, RangeResult)}, with a position hint: after finding {@code [s, e]}, a
   * scan continues fast from {@code e + 1} with the same hint.
   *
   * @param from the offset, {@code >= 0}
   * @param bits the bits, any of which matches: at least one storable bit, no control bit
   * @param out receives the state
   * @param cached a position hint to start from and to update, or null
   * @return whether one was found
   */
  public boolean findFirst(long from, int bits, RangeResult out, @Nullable CachedState cached) {
    checkOffset("findFirst", from);
    checkQueryBits("findFirst", bits);
    return queries.findFirst(from, bits, out, cached);
  }

  /**
   * Finds the first state with any of {@code bits} ending at or after {@code from}, extended over the
   * adjacent states that also have any of them (btrfs {@code find_contiguous_extent_bit}, which does not
   * check the bits of the following states; this one does).
   *
   * @param from the offset, {@code >= 0}
   * @param bits the bits, any of which matches: at least one storable bit, no control bit
   * @param out receives the range; its bits are those of the first state
   * @return whether one was found
   */
  public boolean findContiguous(long from, int bits, RangeResult out) {
    checkOffset("findContiguous", from);
    checkQueryBits("findContiguous", bits);
    return queries.findContiguous(from, bits, out);
  }

  /**
   * Finds the next range to write back (btrfs {@code find_delalloc_range}): the first state with
   * {@link ExtentBits#DELALLOC} ending at or after {@code from}, extended over adjacent {@code DELALLOC}
   * states until a state with {@link ExtentBits#BOUNDARY} (which starts a new range) or until the range
   * holds at least {@code maxBytes}. Unlike btrfs, states without {@code DELALLOC} before the first one are
   * skipped rather than ending the search; so when nothing is found no {@code DELALLOC} byte follows
   * {@code from}, and {@code out.end()} is {@link Long#MAX_VALUE} (btrfs's {@code (u64)-1}), the offset a
   * caller skips to.
   *
   * @param from the offset, {@code >= 0}
   * @param maxBytes the size at which to stop extending, {@code > 0}
   * @param out receives the range; its bits are those of its first state
   * @return whether a range was found
   */
  public boolean findDelallocRange(long from, long maxBytes, RangeResult out) {
    checkOffset("findDelallocRange", from);
    if (maxBytes <= 0) {
      throw bad("findDelallocRange", "maxBytes " + maxBytes + " is not positive");
    }
    return queries.findDelallocRange(from, maxBytes, out);
  }

  /**
   * Finds the maximal run of bytes having none of {@code bits} that contains {@code from} or is the first
   * after it; bytes in no state count as clear (btrfs {@code find_first_clear_extent_bit}). The run may
   * start before {@code from}; its end is {@link Long#MAX_VALUE} when nothing with the bits follows.
   *
   * @param from the offset, {@code >= 0}
   * @param bits the bits: at least one storable bit, no control bit
   * @param out receives the run, bits 0
   * @return false only if every byte from {@code from} to {@link Long#MAX_VALUE} has one of the bits
   */
  public boolean findFirstClear(long from, int bits, RangeResult out) {
    checkOffset("findFirstClear", from);
    checkQueryBits("findFirstClear", bits);
    return queries.findFirstClear(from, bits, out);
  }

  /**
   * Returns whether every byte of {@code [start, end]} has all of {@code bits}; a hole fails (btrfs
   * {@code test_range_bit}).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits: at least one storable bit, no control bit (control bits are never stored)
   * @return true if every byte has them all
   */
  public boolean rangeHasAll(long start, long end, int bits) {
    return rangeHasAll(start, end, bits, null);
  }

  /**
   * As {@link #rangeHasAll(long, long, int)}, with a position hint (only read).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits: at least one storable bit, no control bit (control bits are never stored)
   * @param cached a position hint, or null
   * @return true if every byte has them all
   */
  public boolean rangeHasAll(long start, long end, int bits, @Nullable CachedState cached) {
    checkRange("rangeHasAll", start, end);
    checkQueryBits("rangeHasAll", bits);
    return queries.rangeHasAll(start, end, bits, cached);
  }

  /**
   * Returns whether some byte of {@code [start, end]} has any of {@code bits} (btrfs
   * {@code test_range_bit_exists}).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param bits the bits: at least one storable bit, no control bit (control bits are never stored)
   * @return true if some byte has one
   */
  public boolean rangeHasAny(long start, long end, int bits) {
    checkRange("rangeHasAny", start, end);
    checkQueryBits("rangeHasAny", bits);
    return queries.rangeHasAny(start, end, bits);
  }

  /**
   * Returns the OR of the bits of every byte of {@code [start, end]} (btrfs {@code get_range_bits}).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @return the bits
   */
  public int rangeBits(long start, long end) {
    checkRange("rangeBits", start, end);
    return queries.rangeBits(start, end);
  }

  /**
   * Counts the bytes of {@code [start, searchEnd]} that have all of {@code bits} (btrfs
   * {@code count_range_bits}). {@code maxBytes} and the result are unsigned, like btrfs's {@code u64}: a
   * {@code maxBytes} of {@code -1} means no limit, and a count of 2<sup>63</sup> or more (possible only for
   * a range reaching {@link Long#MAX_VALUE}) reads negative as a signed {@code long}; use
   * {@link Long#toUnsignedString(long)} or {@link Long#compareUnsigned(long, long)} on it.
   *
   * @param start first offset, {@code >= 0}
   * @param searchEnd last offset, inclusive, {@code >= start}
   * @param maxBytes the count at which to stop, unsigned; the last state counted may take the count past it
   * @param bits the bits: at least one storable bit, no control bit (control bits are never stored)
   * @param contiguous whether to stop at the first byte without the bits after the first byte with them
   * @return the byte count, unsigned
   */
  public long countBytes(long start, long searchEnd, long maxBytes, int bits, boolean contiguous) {
    return countBytes(start, searchEnd, maxBytes, bits, contiguous, null, null);
  }

  /**
   * As {@link #countBytes(long, long, long, int, boolean)}, also reporting the first byte counted.
   *
   * @param start first offset, {@code >= 0}
   * @param searchEnd last offset, inclusive, {@code >= start}
   * @param maxBytes the count at which to stop, unsigned
   * @param bits the bits: at least one storable bit, no control bit (control bits are never stored)
   * @param contiguous whether to stop at the first gap after the first byte found
   * @param first if not null, receives {@code [firstByte, firstByte]} (not found if the count is 0)
   * @param cached a position hint to start from and to update, or null
   * @return the byte count, unsigned
   */
  public long countBytes(long start, long searchEnd, long maxBytes, int bits, boolean contiguous,
      @Nullable RangeResult first, @Nullable CachedState cached) {
    checkRange("countBytes", start, searchEnd);
    checkQueryBits("countBytes", bits);
    return queries.countBytes(start, searchEnd, maxBytes, bits, contiguous, first, cached);
  }

  /**
   * Visits, in order and under the tree lock, every state overlapping {@code [start, end]}; allocates
   * nothing.
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @param visitor the visitor; it must not call into the tree
   * @return the number of states visited
   */
  public int forEach(long start, long end, ExtentVisitor visitor) {
    checkRange("forEach", start, end);
    return queries.forEach(start, end, visitor);
  }

  /**
   * Returns a copy of the states overlapping {@code [start, end]} (allocates).
   *
   * @param start first offset, {@code >= 0}
   * @param end last offset, inclusive, {@code >= start}
   * @return the states in order
   */
  public List<Extent> states(long start, long end) {
    List<Extent> list = new ArrayList<>();
    forEach(start, end, (s, e, b) -> list.add(new Extent(s, e, b)));
    return list;
  }

  /**
   * Returns a copy of every state (allocates).
   *
   * @return the states in order
   */
  public List<Extent> states() {
    return states(0, Long.MAX_VALUE);
  }

  // ---------------------------------------------------------------- statistics and checks

  /**
   * Returns the number of extent states.
   *
   * @return the count
   * @throws io.github.slabkit.allocator.AllocatorClosedException if the tree is closed
   */
  public long stateCount() {
    return TreeStats.stateCount(core);
  }

  /**
   * Returns whether the tree has no state.
   *
   * @return true if empty
   * @throws io.github.slabkit.allocator.AllocatorClosedException if the tree is closed
   */
  public boolean isEmpty() {
    return stateCount() == 0;
  }

  /**
   * Returns a snapshot of the tree's counters. Also after {@link #close()}: the counters keep their final
   * values, with no states and no spare states.
   *
   * @return the statistics
   */
  public ExtentTreeStatistics statistics() {
    return TreeStats.snapshot(core);
  }

  /**
   * Returns the number of threads waiting for a range lock.
   *
   * @return the count
   */
  public int waiterCount() {
    return statistics().lockWaiters();
  }

  /**
   * Returns how many times a thread started waiting for a range lock.
   *
   * @return the count
   */
  public long lockWaits() {
    return statistics().lockWaits();
  }

  /**
   * Returns how many waiters were woken by a clear of lock bits on their range.
   *
   * @return the count
   */
  public long lockWakeups() {
    return statistics().lockWakeups();
  }

  /**
   * Returns how many times an operation found no state at hand, dropped the tree lock and everything it
   * held, and waited for one.
   *
   * @return the count
   */
  public long refills() {
    return statistics().memoryWaits();
  }

  /**
   * Checks every structural invariant (order, red-black rules, links, no empty state, merges done). For
   * tests and debugging: O(n) under the tree lock.
   *
   * @throws IllegalStateException naming the first violation
   * @throws io.github.slabkit.allocator.AllocatorClosedException if the tree is closed (an {@code
   *     IllegalStateException} too)
   */
  public void verify() {
    TreeStats.verify(core);
  }

  /**
   * Frees every extent state and, if the tree created them, closes its mempool and slab cache. Refuses
   * while a range is locked or a thread waits, for a lock or for memory. Idempotent. After it, every
   * operation and query throws {@link io.github.slabkit.allocator.AllocatorClosedException} (an {@link
   * IllegalStateException}) naming the tree, {@link #stateCount()}, {@link #isEmpty()} and {@link #verify()}
   * included. What stays readable: {@link #name()}, {@link #isClosed()}, {@link #toString()}, the pool
   * accessors, and the counters ({@link #statistics()} and its shorthands {@link #waiterCount()}, {@link
   * #lockWaits()}, {@link #lockWakeups()}, {@link #refills()}), which keep their final values with no
   * states, so that a metrics binder or a post-mortem can still read them.
   *
   * <p>Must not race with other operations. If one races it anyway, the close either refuses (a range was
   * locked, or someone waited, at that moment) or closes, and the racing call either completes first or
   * throws {@code AllocatorClosedException}; it does not hang, and an optimistic query does not read freed
   * memory into its answer.
   *
   * <p>If the state pool refused to take states back during the tree's life (its {@code free} threw), the
   * tree kept them and offered them again at every later operation (operations do not fail for it); close
   * offers them once more, still closes, and then throws for those still refused.
   *
   * @throws IllegalStateException naming the locked ranges and the waiters; the tree is then unchanged. Or,
   *     after closing, naming how many states the pool refused to take back (the first refusal as cause),
   *     or a pool the tree created that failed to close
   */
  @Override
  public void close() {
    if (!TreeStats.closeStates(core, DESCRIBE_MAX)) {
      return;
    }
    RuntimeException failure = TreeStats.unreturnedStates(core);
    for (AutoCloseable c : owned) {
      try {
        c.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException(name + ": closing " + c + " failed", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Returns whether the tree is closed.
   *
   * @return true after {@link #close()}
   */
  public boolean isClosed() {
    return core.closed;
  }

  @Override
  public String toString() {
    return "ExtentTree[" + name + (core.closed ? ", closed]" : "]");
  }

  // ---------------------------------------------------------------- argument checks

  private void checkRange(String op, long start, long end) {
    Args.range(name, op, start, end);
  }

  private void checkOffset(String op, long offset) {
    Args.offset(name, op, offset);
  }

  private void checkDefined(String op, int bits) {
    Args.defined(name, op, bits);
  }

  private void checkQueryBits(String op, int bits) {
    Args.queryBits(name, op, bits);
  }

  private IllegalArgumentException bad(String op, String what) {
    return Args.bad(name, op, what);
  }
}
