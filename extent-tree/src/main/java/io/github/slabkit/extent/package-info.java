/**
 * The extent tree: inclusive {@code long} byte ranges with {@link io.github.slabkit.extent.ExtentBits bit
 * flags} and exclusive range locks, ported from the btrfs {@code extent_io_tree}, with every extent state
 * off-heap in a slab cache and allocated through a mempool.
 *
 * <p>Entry point: {@link io.github.slabkit.extent.ExtentTree#builder(String)}. Zero-garbage use: reuse a
 * {@link io.github.slabkit.extent.RangeResult} for queries, an {@link io.github.slabkit.extent.ExtentChangeset}
 * for changes, a {@link io.github.slabkit.extent.CachedState} for sequential work, a
 * {@link io.github.slabkit.extent.LockedRange} for try-with-resources range locks, and
 * {@link io.github.slabkit.extent.ExtentTree#forEach} with an {@link io.github.slabkit.extent.ExtentVisitor}
 * for iteration.
 *
 * {@snippet class=io.github.slabkit.examples.snippets.ExtentTreeExamples region=writeback}
 *
 * <h2>Liveness: the wait-for graph</h2>
 * A thread inside this package waits for exactly three things, and holds only these while it does:
 * <ol>
 *   <li><b>The tree lock</b> (a {@code ReentrantLock} per tree), held only for the duration of one step of
 *       one operation. A thread that holds it never waits for anything else: it allocates only with
 *       {@code tryAllocate} (which never waits) and frees (which never waits); it releases the tree lock
 *       before it waits for memory or for a range lock; hooks and visitors, which run under it, may not call
 *       into their tree. So the tree lock is a leaf of the graph: no edge leaves a thread that holds it.
 *   <li><b>Memory</b>, a state from the mempool ({@code allocate} or, for a lock short of memory, an
 *       all-or-nothing {@code allocateBulk}), with the tree lock released and nothing held: the operation
 *       has given back every state it allocated and not yet linked into the tree, and a lock has undone the
 *       prefix of its range it had locked. States linked into the tree, and the tree's few spare states,
 *       belong to the tree, not to a thread (they are {@code disown}ed for the mempool's checked mode);
 *       while a thread of a tree waits for memory, states that tree frees go straight to the pool, whose
 *       free wakes a waiter. A waiter for memory therefore waits for a free, and a free happens in any
 *       clear, unlock or convert that removes or merges a state, which never itself waits for memory when it
 *       covers whole states, and otherwise takes its states with the reclaiming priority from the headroom
 *       that ordinary operations cannot touch.
 *   <li><b>A range lock</b> (the lock bits of a range), with the tree lock released and nothing held: a
 *       lock that meets a locked state undoes the prefix it locked and gives back its states before it
 *       waits (btrfs {@code lock_extent}). It waits for the unlock of the conflicting range, which an unlock
 *       performs without memory when it unlocks exactly what was locked.
 * </ol>
 * An edge "A waits for B" exists only from a thread that holds nothing of this package (no tree lock, no
 * state, no part of a range) to a thread that holds a range lock or to the pool's next free. A cycle needs
 * a thread that waits while it holds what another waits for; inside the library no such thread exists, so
 * no cycle can form. The exhaustion torture test ({@code ExtentTreeTortureTest}: 32 states, reserves of 2 to
 * 8, eight platform and virtual threads, a progress watchdog) and the regression tests of the deadlocks
 * this rules out ({@code ExtentTreeLivenessTest}) back the argument.
 *
 * <h2>The B+tree ({@link io.github.slabkit.extent.ExtentTreeBuilder#bTree()})</h2>
 * With the B+tree every object the tree allocates is a node, and the graph above holds with "state" read as
 * "node", with three differences, each kept acyclic:
 * <ul>
 *   <li><b>A split chain needs several nodes at once</b> (at most the tree height plus one). The operation
 *       takes them without waiting under the tree lock, all or none of them; if one is missing it gives
 *       back the ones it took, drops the lock and waits for that many all or nothing
 *       ({@code allocateBulk}), holding nothing, then searches again. The builder refuses a mempool whose
 *       reserve beyond the headroom is below {@link io.github.slabkit.extent.ExtentTreeBuilder#MIN_NODE_RESERVE},
 *       so such a bulk wait is always one the mempool can grant. An operation that gives memory back waits
 *       the same way with the reclaiming priority, which reaches into the headroom, so the <b>headroom</b>
 *       of a B+tree is at least the tree height plus one per thread that may reclaim at the same time (the
 *       default, a quarter of 32, covers one flusher on any realistic tree). It never waits for one node at
 *       a time: with exactly one at hand it would be served at once, miss the next, give the first back and
 *       be served it again, for ever, without parking, so the thread that would free memory never ran.
 *   <li><b>Only inserting a state can need memory</b>, as before: removing states, changing bits and
 *       merging never allocate (a clear or unlock of whole states, and a lock's undo, make no allocator
 *       call at all).
 *   <li><b>Frees come in nodes.</b> A clear frees a node when it empties a leaf, or when a leaf it leaves a
 *       quarter full merges into a sibling, not with every state it removes. A waiter for memory still
 *       waits only for frees, and the flusher that produces them never waits for memory beyond the
 *       headroom: clearing every state of a range empties or merges its leaves.
 * </ul>
 * Queries of a B+tree take no lock at all when they can (optimistic readers validating node versions, see
 * {@code NodeTree}), so they add no edge to the graph; after a few failed attempts they take the tree lock,
 * a leaf of the graph as above. The exhaustion torture test {@code BTreeTortureTest} (a budget of 32
 * nodes, reserves of 10 to 16) backs this.
 *
 * <h2>What callers add to the graph</h2>
 * A range lock held by the caller across calls is a resource the library cannot give back. Keep these two
 * rules and the graph stays acyclic:
 * <ul>
 *   <li>While holding a range lock, change only whole states of that range: a set, clear or convert of the
 *       locked range itself, and the unlock of exactly that range, need no memory (lock bits never merge, so
 *       the locked range is made of whole states). A change of part of a locked range may have to split a
 *       state, and so wait for memory while the range is held; a flusher that needs that range would then
 *       wait for a thread that waits for the flusher's frees.
 *   <li>A thread that gives memory back (a flusher) locks with
 *       {@link io.github.slabkit.extent.ExtentTree#lockForReclaim}, so that the states its lock must create
 *       come from the headroom.
 * </ul>
 *
 * <h2>Sizing the mempool</h2>
 * With {@link io.github.slabkit.extent.ExtentTreeBuilder#reserve(int)} ({@code minNr}) and
 * {@link io.github.slabkit.extent.ExtentTreeBuilder#headroom(int)}, or the same settings of a shared
 * {@code Mempool}:
 * <ul>
 *   <li><b>Headroom</b>: at least 2 states per thread that may run a reclaiming operation at the same time
 *       (a clear, unlock or convert of one range splits at most one state at each end; a
 *       {@code lockForReclaim} also needs one state per hole in its range). One flusher: 2.
 *   <li><b>Reserve</b>: the headroom, plus what ordinary operations in flight take while the slab cache
 *       cannot allocate: at most 2 per writer for a set of one range, plus one per hole it fills. A lock that
 *       runs short of memory waits all or nothing for what its range needs, which a mempool grants only up to
 *       {@code minNr - headroom}; a lock needing more new states than that waits for them one at a time and
 *       may retry while memory stays short. A tree also keeps up to four spare states between operations,
 *       which count as the tree's like its live states.
 *   <li><b>Throttle writers before the reserve drains</b>, as the kernel's {@code balance_dirty_pages}
 *       does: before a writer takes a range lock or sets bits, it pauses while the reserve is down near the
 *       headroom, so the flusher catches up. The throttle is what keeps ordinary writers from waiting for
 *       memory at all in steady state; correctness does not depend on it (a writer that does wait holds
 *       nothing), but throughput and fairness do.
 * </ul>
 */
@org.jspecify.annotations.NullMarked
package io.github.slabkit.extent;
