package io.github.slabkit.extent;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.extent.internal.NodeLayout;
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
 *
 * <p><b>Two structures.</b> By default states are 48-byte objects linked into a red-black tree, one object
 * per state. {@link #bTree()} keeps them instead in an off-heap B+tree of {@link #NODE_SIZE}-byte nodes
 * (leaves of up to 49 states, inner nodes of up to 63 children; measured at 1M states: 21 bytes per state
 * after an in-order fill, 29 after as many random set+clear, by the benchmarks' footprint tool), with
 * queries that read without the tree lock (optimistic readers validating the versions of the nodes they
 * read). Then every object the tree
 * allocates is a node: the slab cache the builder creates holds nodes ({@code <name>-nodes}), the
 * {@link #reserve} and {@link #headroom} count nodes, and an explicit pool or allocator must hold objects of
 * at least {@link #NODE_SIZE} bytes ({@link #build()} says so otherwise). An insertion that splits nodes
 * needs up to the tree height plus one nodes at once, which a blocking operation waits for all or nothing,
 * so a B+tree's reserve must be at least {@link #MIN_NODE_RESERVE} nodes plus the headroom.
 */
public final class ExtentTreeBuilder {
  /** Bytes per extent state. */
  public static final long STATE_SIZE = StateLayout.SIZE;

  /** Bytes per B+tree node ({@link #bTree()}): the object size its pool must have at least. */
  public static final long NODE_SIZE = NodeLayout.NODE_SIZE;

  /**
   * The smallest mempool reserve, in nodes, beyond the headroom, that a B+tree accepts: the split chain of
   * one insertion in a tree of up to seven levels (far beyond 10^9 states).
   */
  public static final int MIN_NODE_RESERVE = 8;

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
  private boolean slabSizeSet; // so that a bad size (0, negative) reaches the slab builder's check
  private @Nullable Duration maxWait;
  private int leafCapacity;
  private int fanout;

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
    this.slabSizeSet = true;
    return this;
  }

  /**
   * Keeps the states in an off-heap B+tree of {@link #NODE_SIZE}-byte nodes instead of a red-black tree of
   * states, with optimistic (lock-free) queries; see the class documentation for what changes in sizing.
   *
   * @return this builder
   */
  public ExtentTreeBuilder bTree() {
    return bTree(NodeLayout.LEAF_CAPACITY, NodeLayout.FANOUT);
  }

  /** A B+tree with small nodes, for tests that need many levels from few states. */
  ExtentTreeBuilder bTree(int leafCapacity, int fanout) {
    if (leafCapacity < 3 || fanout < 3 || NodeLayout.nodeSize(leafCapacity, fanout) > NODE_SIZE) {
      throw new IllegalArgumentException(name + ": bad node capacities " + leafCapacity + "/" + fanout);
    }
    this.leafCapacity = leafCapacity;
    this.fanout = fanout;
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
    boolean nodes = leafCapacity > 0;
    if (p != null && m != null) {
      if (nodes) {
        checkNodePool(p, m);
      }
      return new ExtentTree(name, p, m, hooks, List.of(), leafCapacity, fanout);
    }
    int h = headroom < 0 ? reserve / 4 : headroom;
    if (h >= reserve) {
      throw new IllegalArgumentException(
          name + ": headroom " + h + " must be below the reserve " + reserve + " (ordinary operations need some)");
    }
    if (nodes && reserve - h < MIN_NODE_RESERVE) {
      throw new IllegalArgumentException(name + ": a B+tree needs a reserve of at least " + MIN_NODE_RESERVE
          + " nodes beyond the headroom (one insertion's split chain), got reserve " + reserve + ", headroom " + h);
    }
    SlabCacheBuilder sb = nodes
        ? SlabCache.builder(name + "-nodes").objectSize(NODE_SIZE).alignment(64)
        : SlabCache.builder(name + "-states").layout(StateLayout.LAYOUT);
    if (budget != null) {
      sb.budget(budget);
    }
    if (slabSizeSet) {
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
    return new ExtentTree(name, mempool, slab, hooks, List.of(mempool, slab), leafCapacity, fanout);
  }

  private void checkNodePool(ObjectAllocator p, ObjectAllocator m) {
    long need = NodeLayout.nodeSize(leafCapacity, fanout);
    if (p.objectSize() < need || m.objectSize() < need) {
      throw new IllegalArgumentException(name + ": a B+tree keeps " + need + "-byte nodes but " + p.name()
          + " holds " + p.objectSize() + "-byte objects; give it a pool over a slab cache of at least "
          + NODE_SIZE + "-byte objects, or let the builder create one (no pool())");
    }
    if (p instanceof Mempool mp && mp.minNr() - mp.headroom() < MIN_NODE_RESERVE) {
      throw new IllegalArgumentException(name + ": a B+tree needs a mempool reserve of at least "
          + MIN_NODE_RESERVE + " nodes beyond the headroom (one insertion's split chain); " + mp.name()
          + " has minNr " + mp.minNr() + ", headroom " + mp.headroom());
    }
  }
}
