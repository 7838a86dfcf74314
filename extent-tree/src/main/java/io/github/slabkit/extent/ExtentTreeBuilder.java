package io.github.slabkit.extent;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.extent.internal.StateLayout;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.slab.SlabCache;
import io.github.slabkit.slab.SlabCacheBuilder;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Builds an {@link ExtentTree}. Obtain one from {@link ExtentTree#builder(String)}.
 *
 * <p>By default the tree creates its own slab cache of extent states ({@code <name>-states}, 48-byte
 * objects) and a mempool over it ({@code <name>-pool}) with a reserve of {@link #DEFAULT_RESERVE} states,
 * of which {@link #headroom} states are kept for the operations that give memory back, and closes both in
 * {@link ExtentTree#close()}. {@link #budget}, {@link #reserve}, {@link #headroom} and {@link #slabSize}
 * tune them; the {@link io.github.slabkit.extent package documentation} says how to size them. Alternatively, {@link #pool(Mempool)} shares an existing mempool (whose backing allocator must
 * hold {@link #STATE_SIZE}-byte objects), and {@link #allocator(ObjectAllocator)} takes any allocator (then
 * operations can fail if it does); the tree closes neither.
 */
public final class ExtentTreeBuilder {
  /** Bytes per extent state. */
  public static final long STATE_SIZE = StateLayout.SIZE;

  /** The smallest mempool reserve a tree accepts: one operation's worst case, a split at each end. */
  public static final int MIN_RESERVE = 2;

  /** The default mempool reserve, in states. */
  public static final int DEFAULT_RESERVE = 32;

  private final String name;
  private ExtentHooks hooks = ExtentHooks.NONE;
  private @Nullable ObjectAllocator pool;
  private @Nullable ObjectAllocator memory;
  private @Nullable MemoryBudget budget;
  private int reserve = DEFAULT_RESERVE;
  private int headroom = -1;
  private long slabSize;
  private @Nullable Duration maxWait;

  ExtentTreeBuilder(String name) {
    this.name = name;
  }

  /**
   * Sets the accounting hooks. Default: {@link ExtentHooks#NONE}.
   *
   * @param hooks the hooks
   * @return this builder
   */
  public ExtentTreeBuilder hooks(ExtentHooks hooks) {
    this.hooks = hooks;
    return this;
  }

  /**
   * Charges the slab cache the tree creates to {@code budget}. Default: unlimited.
   *
   * @param budget the budget
   * @return this builder
   */
  public ExtentTreeBuilder budget(MemoryBudget budget) {
    this.budget = budget;
    return this;
  }

  /**
   * Sets the number of states the mempool keeps in reserve for when the slab cache cannot allocate.
   * Default {@link #DEFAULT_RESERVE}; at least 2 (one operation's worst case).
   *
   * @param states the reserve
   * @return this builder
   */
  public ExtentTreeBuilder reserve(int states) {
    if (states < MIN_RESERVE) {
      throw new IllegalArgumentException(
          name + ": reserve " + states + " is below one operation's worst case, " + MIN_RESERVE);
    }
    this.reserve = states;
    return this;
  }

  /**
   * Sets how many states of the reserve only the operations that give memory back (clear, unlock,
   * convert, {@link ExtentTree#lockForReclaim}) may take: the mempool's headroom. Ordinary operations wait
   * once the reserve is down to it, so a flusher can always split the states it clears. Default: a quarter
   * of the reserve, rounded down.
   *
   * @param states the headroom, {@code 0 <= states < reserve} (checked by {@link #build()})
   * @return this builder
   */
  public ExtentTreeBuilder headroom(int states) {
    if (states < 0) {
      throw new IllegalArgumentException(name + ": headroom " + states + " is negative");
    }
    this.headroom = states;
    return this;
  }

  /**
   * Sets the slab size in bytes of the slab cache the tree creates. Default: the slab cache's.
   *
   * @param bytes the slab size
   * @return this builder
   */
  public ExtentTreeBuilder slabSize(long bytes) {
    this.slabSize = bytes;
    return this;
  }

  /**
   * Sets how long the created slab cache's {@code allocate()} waits for budget (the mempool uses its
   * reserve instead of failing). Default: the slab cache's.
   *
   * @param wait the longest wait
   * @return this builder
   */
  public ExtentTreeBuilder maxWait(Duration wait) {
    this.maxWait = wait;
    return this;
  }

  /**
   * Takes states from an existing mempool, read through its backing allocator; the tree does not close it.
   *
   * @param pool the mempool; its objects must be at least {@link #STATE_SIZE} bytes, 8-byte aligned, and
   *     its {@code minNr} at least 2
   * @return this builder
   */
  public ExtentTreeBuilder pool(Mempool pool) {
    if (pool.minNr() < MIN_RESERVE) {
      throw new IllegalArgumentException(
          name + ": " + pool.name() + " has minNr " + pool.minNr() + ", below " + MIN_RESERVE);
    }
    return allocator(pool, pool.backing());
  }

  /**
   * Takes states from {@code allocator}, which the tree does not close. Operations cannot fail for lack
   * of memory only if it never fails (a {@link Mempool}).
   *
   * @param allocator the state allocator, both for allocation and for memory access; objects of at least
   *     {@link #STATE_SIZE} bytes, 8-byte aligned
   * @return this builder
   */
  public ExtentTreeBuilder allocator(ObjectAllocator allocator) {
    return allocator(allocator, allocator);
  }

  /**
   * Takes states from {@code pool} and reads them through {@code memory} (the slab cache behind the pool,
   * saving a delegation per access); the tree closes neither.
   *
   * @param pool where states are allocated and freed
   * @param memory resolves handles of {@code pool} to memory
   * @return this builder
   */
  public ExtentTreeBuilder allocator(ObjectAllocator pool, ObjectAllocator memory) {
    if (pool.objectSize() < STATE_SIZE || memory.objectSize() < STATE_SIZE) {
      throw new IllegalArgumentException(
          name + ": state objects need " + STATE_SIZE + " bytes, " + pool.name() + " has " + pool.objectSize());
    }
    this.pool = pool;
    this.memory = memory;
    return this;
  }

  /**
   * Builds the tree.
   *
   * @return the tree
   * @throws AllocationFailedException if the mempool's reserve cannot be preallocated within the budget
   */
  public ExtentTree build() {
    ObjectAllocator p = pool;
    ObjectAllocator m = memory;
    if (p != null && m != null) {
      return new ExtentTree(name, p, m, hooks, List.of());
    }
    int h = headroom < 0 ? reserve / 4 : headroom;
    if (h >= reserve) {
      throw new IllegalArgumentException(
          name + ": headroom " + h + " must be below the reserve " + reserve + " (ordinary operations need some)");
    }
    SlabCacheBuilder sb = SlabCache.builder(name + "-states").layout(StateLayout.LAYOUT);
    if (budget != null) {
      sb.budget(budget);
    }
    if (slabSize > 0) {
      sb.slabSize(slabSize);
    }
    if (maxWait != null) {
      sb.maxWait(maxWait);
    }
    SlabCache slab = sb.build();
    Mempool mempool;
    try {
      mempool = Mempool.builder(name + "-pool", slab).minNr(reserve).headroom(h).build();
    } catch (RuntimeException e) {
      slab.close();
      throw e;
    }
    return new ExtentTree(name, mempool, slab, hooks, List.of(mempool, slab));
  }
}
