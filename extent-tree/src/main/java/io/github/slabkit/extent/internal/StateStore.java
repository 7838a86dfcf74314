package io.github.slabkit.extent.internal;

import io.github.slabkit.extent.ExtentVisitor;
import org.jspecify.annotations.Nullable;

/**
 * Where one tree keeps its extent states and runs the btrfs algorithms on them: the red-black tree of
 * 48-byte states ({@link StateTree}) or the B+tree of nodes ({@link NodeTree}). The facade's locking,
 * allocation protocol and range locks sit above this interface and are the same for both.
 *
 * <p>Every method is called under the owning tree's lock. Range queries put what they found in
 * {@link #resultStart()}, {@link #resultEnd()} and {@link #resultBits()}.
 */
public interface StateStore {
  /** Returned by a resumable operation that finished. */
  long DONE = -1L;
  /** Returned by {@link #set} on an exclusive-bit conflict. */
  long CONFLICT = -2L;

  /**
   * btrfs {@code set_extent_bit}; see {@link StateTree#set}.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @param exclusive bits whose presence is a conflict
   * @param log the changeset or null
   * @param hint a cached position or 0
   * @param op the running operation
   * @return {@link #DONE}, {@link #CONFLICT} or the offset to resume from once {@link #needed()} objects
   *     are at hand
   */
  long set(long start, long end, int bits, int exclusive, @Nullable RangeLog log, long hint, Prealloc op);

  /**
   * btrfs {@code clear_extent_bit}; see {@link StateTree#clear}.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @param log the changeset or null
   * @param hint a cached position or 0
   * @param op the running operation
   * @return {@link #DONE} or the offset to resume from
   */
  long clear(long start, long end, int bits, @Nullable RangeLog log, long hint, Prealloc op);

  /**
   * btrfs {@code convert_extent_bit}; see {@link StateTree#convert}.
   *
   * @param start first offset
   * @param end last offset
   * @param bits bits to set
   * @param clearBits bits to clear
   * @param hint a cached position or 0
   * @param op the running operation
   * @return {@link #DONE} or the offset to resume from
   */
  long convert(long start, long end, int bits, int clearBits, long hint, Prealloc op);

  /**
   * Returns how many objects the step that stopped for memory needs at once (1 for a state; up to the
   * tree height plus one for a chain of node splits).
   *
   * @return the count, at least 1
   */
  int needed();

  /**
   * Returns where the previous set met an exclusive bit.
   *
   * @return the offset
   */
  long failedStart();

  /**
   * Returns the first byte of the range lacking one of the bits, or -1.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @param hint a cached position or 0
   * @return the offset or -1
   */
  long firstLacking(long start, long end, int bits, long hint);

  /**
   * Returns at most how many objects a set of the range would need now.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @return the count
   */
  long statesNeeded(long start, long end, int bits);

  /**
   * Returns the first offset of the first state within the range with any of the bits, or -1.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @return the state's start clamped to nothing, or -1
   */
  long firstStartWithin(long start, long end, int bits);

  /**
   * Returns the validity epoch of cached positions.
   *
   * @return the epoch
   */
  long removals();

  /**
   * Returns the cached position the previous operation left, or 0.
   *
   * @return a position or 0
   */
  long lastState();

  /**
   * Finds the state containing {@code off}.
   *
   * @param off the offset
   * @return whether found (then the result holds it)
   */
  boolean lookupAt(long off);

  /**
   * btrfs {@code find_first_extent_bit}: first state ending at or after {@code from} with any of the bits;
   * leaves its position in {@link #lastState()}.
   *
   * @param from the offset
   * @param bits the bits
   * @param hint a cached position or 0
   * @return whether found
   */
  boolean firstWith(long from, int bits, long hint);

  /**
   * The first state with any of the bits from {@code from}, extended over adjacent states with any of
   * them; the result's bits are the first state's.
   *
   * @param from the offset
   * @param bits the bits
   * @return whether found
   */
  boolean contiguousWith(long from, int bits);

  /**
   * btrfs {@code find_delalloc_range}; see {@link StateQueries#findRun}; the result's bits are the first
   * state's.
   *
   * @param from the offset
   * @param bit the run bits
   * @param boundary the bits that start a new run
   * @param maxBytes where to stop
   * @return whether found
   */
  boolean runWith(long from, int bit, int boundary, long maxBytes);

  /**
   * See {@link StateQueries#findFirstClear}.
   *
   * @param from the offset
   * @param bits the bits
   * @return whether found
   */
  boolean findFirstClear(long from, int bits);

  /**
   * btrfs {@code test_range_bit}.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @param hint a cached position or 0
   * @return whether every byte has them all
   */
  boolean hasAll(long start, long end, int bits, long hint);

  /**
   * Whether any byte has any of the bits.
   *
   * @param start first offset
   * @param end last offset
   * @param bits the bits
   * @return true if so
   */
  boolean hasAny(long start, long end, int bits);

  /**
   * OR of the bits over the range.
   *
   * @param start first offset
   * @param end last offset
   * @return the bits
   */
  int rangeBits(long start, long end);

  /**
   * btrfs {@code count_range_bits}; see {@link StateQueries#count}.
   *
   * @param start first offset
   * @param searchEnd last offset
   * @param maxBytes where to stop
   * @param bits the bits
   * @param contiguous whether to stop at a gap
   * @param hint a cached position or 0
   * @return the byte count
   */
  long count(long start, long searchEnd, long maxBytes, int bits, boolean contiguous, long hint);

  /**
   * Visits the states overlapping the range.
   *
   * @param start first offset
   * @param end last offset
   * @param visitor the visitor
   * @return how many were visited
   */
  int forEach(long start, long end, ExtentVisitor visitor);

  /**
   * Returns the number of states.
   *
   * @return the count
   */
  long size();

  /**
   * Checks every invariant; for tests.
   *
   * @return null, or the first violation
   */
  @Nullable String verify();

  /**
   * Lists the locked states for messages.
   *
   * @param sb the target
   * @param max how many to list
   * @return how many states carry lock bits
   */
  long describeLocked(StringBuilder sb, int max);

  /** Frees every object of the tree and its spares; the tree is empty after. */
  void freeAll();

  /**
   * Returns the result's start.
   *
   * @return the start
   */
  long resultStart();

  /**
   * Returns the result's inclusive end.
   *
   * @return the end
   */
  long resultEnd();

  /**
   * Returns the result's bits.
   *
   * @return the bits
   */
  int resultBits();
}
