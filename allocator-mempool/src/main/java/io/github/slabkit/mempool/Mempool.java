package io.github.slabkit.mempool;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.AllocatorStatistics;
import io.github.slabkit.allocator.Allocators;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.mempool.internal.HoldAndWaitCheck;
import io.github.slabkit.mempool.internal.MempoolCore;
import io.github.slabkit.mempool.internal.Ticket;
import io.github.slabkit.mempool.internal.MempoolMBean;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.ObjectName;
import org.jspecify.annotations.Nullable;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A pool of objects with a reserve that guarantees forward progress: the kernel's {@code mempool_t} over any
 * {@link ObjectAllocator}.
 *
 * {@snippet class=io.github.slabkit.examples.snippets.MempoolExamples region="mempool"}
 *
 * <p>{@code minNr} objects are preallocated when the pool is built. An allocation tries, in order:
 * <ol>
 *   <li>the backing allocator, without waiting and without reclaim ({@code backing.tryAllocate()});
 *   <li>the reserve;
 *   <li>for a blocking call: it waits until an object is freed to the pool or the pool's
 *       {@link Builder#waitTimeout wait timeout} passes, retries the backing allocator with reclaim allowed
 *       ({@code backing.tryAllocate(0, unit)}: reclaim, no waiting), and repeats (the first retry happens at
 *       once). {@link #allocate()} therefore never fails, as long as objects taken from the pool are
 *       eventually freed.
 * </ol>
 * A freed object refills the reserve while it holds fewer than {@code minNr} and wakes a waiter; otherwise it
 * goes back to the backing allocator.
 *
 * <h2>Priorities and headroom</h2>
 * A pool built with a {@link Builder#headroom(int) headroom} keeps the last objects of its reserve for
 * {@link AllocationPriority#RECLAIMING} allocations (the kernel's watermarks and {@code __GFP_MEMALLOC}):
 * ordinary allocations stop there, so an operation that gives memory back can still get the object it needs
 * after ordinary writers drained the pool. Size {@code minNr} for the largest demand of the ordinary path
 * plus the headroom, and the headroom for the most objects that the reclaiming operations in flight at once
 * take before they give back (an extent tree's {@code clear} takes at most one at a time).
 *
 * <h2>Fairness and liveness</h2>
 * Pools are work-conserving: a request never waits while what it may take is at hand, whoever else waits.
 * Waiting allocations, {@link #allocateBulk bulk allocations} and {@link Reservation}s share one queue per
 * {@link ReservationDomain}; each free into the reserve is offered to the oldest waiter that it now
 * satisfies. A waiter that has waited one claim window claims the pool for one window, so a large demand is
 * not starved by a stream of small ones (see {@link ReservationDomain}); a claim can hold other requests back
 * for at most one window at a time, so it cannot become a deadlock.
 *
 * <h2>Deadlock</h2>
 * An operation that needs several objects must not take them one blocking call at a time: two threads each
 * holding one object and waiting for another can wait forever (the ABBA deadlock of 2011's btrfs thread).
 * Declare them in one {@link Reservation} or one {@link #allocateBulk} call instead, or take the pools in one
 * order everywhere, as the kernel requires. Checked mode ({@link Reservation#checkedMode(boolean)}) rejects a
 * blocking call on a thread that holds an open reservation or objects of a pool (including this one) with an
 * {@link IllegalStateException}, unless a declared {@link Builder#allocationOrder(int) allocation order}
 * allows it; library code that stores objects in a shared structure {@link #disown(long) disowns} them.
 *
 * <h2>Thread safety and memory consistency</h2>
 * A thread that allocates a lot can take a {@link #local()} context ({@link MempoolLocal}): the same paths,
 * through the backing allocator's own context and with the pool's counters in the context.
 *
 * <p>Thread safe. Actions in a thread prior to freeing an object happen-before actions subsequent to the
 * allocation that returns the same object in another thread, through the reserve as through the backing
 * allocator. {@link #close()} must not race with other operations.
 *
 * <p>Memory access ({@link #memory}, {@link #offset}, {@link #segment}) and {@link #checkHandle} delegate to
 * the backing allocator. The pool does not close its backing allocator.
 *
 * <h2>Bulk calls</h2>
 * {@link #allocateBulk} is the pool's own: all or nothing, and it waits holding nothing. {@code
 * tryAllocateBulk} and {@code freeBulk} are {@link ObjectAllocator}'s defaults. {@code tryAllocateBulk}
 * makes one {@link #tryAllocate()} per object. On a miss it frees what it took through {@link #free(long)},
 * so the reserve refills first, and returns {@code false}. The statistics then show those allocations and
 * frees and one failure. {@code freeBulk} frees one object at a time and stops at the first handle refused.
 *
 * <h2>After close</h2>
 * The allocations, {@code free}, {@code local} and {@code resize} throw {@link AllocatorClosedException}
 * naming the operation. The calls that delegate to the backing allocator ({@code checkHandle}, {@code
 * memory}, {@code offset}, {@code segment}) answer as long as it is open. The name, size and statistics
 * answer, and {@code close} does nothing more.
 */
// Error Prone's InvalidSnippet does not know external snippets (class=..., region=...), which javadoc resolves
// through --snippet-path from the tested examples module.
@SuppressWarnings("InvalidSnippet")
public final class Mempool implements ObjectAllocator {
  private final MempoolCore core;
  private final String name;
  private final ObjectAllocator backing;
  private final String allocateOp;
  private final String allocateBulkOp;
  private final MempoolCore[] self;

  private Mempool(MempoolCore core) {
    this.core = core;
    this.self = new MempoolCore[] {core};
    this.name = core.name();
    this.backing = core.backing();
    this.allocateOp = "Mempool '" + name + "'.allocate()";
    this.allocateBulkOp = "Mempool '" + name + "'.allocateBulk()";
  }

  /**
   * Returns an allocation context owned by the calling thread: {@link MempoolLocal}'s {@code tryAllocate},
   * {@code allocate} and {@code free} go through the backing allocator's own context ({@link
   * ObjectAllocator#local()}; a slab cache's skips the thread lookup) and count in the context's counters,
   * with no thread lookup of the pool's. The reserve, waiting and checked mode are the pool's.
   *
   * @return a new context owned by the calling thread
   * @throws AllocatorClosedException if the pool is closed
   */
  @Override
  public MempoolLocal local() {
    core.checkOpen("local");
    return new MempoolLocal(this, core, self, backing.local(), allocateOp);
  }

  /**
   * Starts building a mempool.
   *
   * @param name the pool's name, used in statistics and messages
   * @param backing where the objects come from (a slab cache, or any allocator)
   * @return a builder
   */
  public static Builder builder(String name, ObjectAllocator backing) {
    return new Builder(name, backing);
  }

  /**
   * The system property that turns on reserve poisoning: {@code -Dslabkit.mempool_debug=P} for every pool,
   * or {@code -Dslabkit.mempool_debug=P,poolA,poolB} for the pools of those names only (as {@code
   * slabkit.slab_debug} selects caches). An explicit {@link Builder#poisonReserve(boolean)} wins over it, in
   * both directions. Poison overwrites the objects in the reserve, so a pool over a slab cache with an object
   * constructor must not be poisoned: leave it out of the list, or build it with {@code poisonReserve(false)}.
   */
  public static final String DEBUG_PROPERTY = "slabkit.mempool_debug";

  /**
   * The largest {@code minNr} a pool accepts, {@value}: 16 Mi objects, whose handles alone take 128 MiB of
   * heap. Larger values are refused by {@link Builder#minNr} and {@link #resize} with {@link
   * IllegalArgumentException}, before anything is allocated; a reserve that large belongs in a slab cache of
   * its own.
   */
  public static final int MAX_MIN_NR = 1 << 24;

  /** {@link Allocators#checkPositive} and at most {@link #MAX_MIN_NR}, with a message naming the pool. */
  static int checkMinNr(String pool, int minNr) {
    Allocators.checkPositive(pool + ": minNr", minNr);
    if (minNr > MAX_MIN_NR) {
      throw new IllegalArgumentException(
          pool + ": minNr must be at most " + MAX_MIN_NR + " (Mempool.MAX_MIN_NR), was " + minNr
              + "; a reserve is for the objects in flight at once, not for a whole working set");
    }
    return minNr;
  }

  private @Nullable ObjectName mbeanName;

  /**
   * Registers this pool's {@link MempoolMXBean} with the platform MBean server as {@code
   * io.github.slabkit:type=Mempool,name=<name>}; {@link #close()} unregisters it. Idempotent. The name
   * stands as it is when it is a legal unquoted value (not empty, none of {@code , = : " * ? \} and no
   * line break), so {@code name=extent_state} finds a pool named {@code extent_state}; any other name is
   * written as {@link ObjectName#quote(String)} gives it. The returned name is always the registered one.
   *
   * @return the object name
   * @throws IllegalStateException if another MBean has that name (two open pools with one name)
   */
  public synchronized ObjectName registerMBean() {
    if (mbeanName != null) {
      return mbeanName;
    }
    try {
      ObjectName on = new ObjectName("io.github.slabkit:type=Mempool,name=" + jmxValue(name));
      ManagementFactory.getPlatformMBeanServer().registerMBean(new MempoolMBean(this), on);
      mbeanName = on;
      return on;
    } catch (JMException e) {
      throw new IllegalStateException(
          name + ": cannot register the MBean (" + e.getMessage() + "); give open pools distinct names", e);
    }
  }

  /** The name as an ObjectName value: unquoted when legal unquoted (see {@link #registerMBean()}). */
  private static String jmxValue(String name) {
    boolean plain = !name.isEmpty() && name.chars().noneMatch(c -> ",=:\"*?\\\n\r".indexOf(c) >= 0);
    return plain ? name : ObjectName.quote(name);
  }

  /**
   * Returns how many reserve-poison reports ({@code BUG <pool>: ...}) this pool has made.
   *
   * @return the count, 0 unless {@link Builder#poisonReserve(boolean)} is on
   */
  public long debugReports() {
    return core.debugReports();
  }

  /** Builds a {@link Mempool}. */
  public static final class Builder {
    private final String name;
    private final ObjectAllocator backing;
    private int minNr = 1;
    private Duration waitTimeout = Duration.ofSeconds(5);
    private boolean poisonReserve;
    private boolean jmx;
    private int headroom;
    private int order;
    private ReservationDomain domain = ReservationDomain.shared();

    private Builder(String name, ObjectAllocator backing) {
      this.name = Objects.requireNonNull(name, "name");
      this.backing = Objects.requireNonNull(backing, "backing");
      this.poisonReserve = debugPropertyAsksForPoison(name);
    }

    /**
     * Sets the reserve size: how many objects are preallocated, and the most that one allocation or
     * reservation may demand from this pool at once. Default 1.
     *
     * @param minNr 1 to {@link #MAX_MIN_NR}
     * @return this builder
     * @throws IllegalArgumentException if {@code minNr} is out of range (nothing is allocated)
     */
    public Builder minNr(int minNr) {
      this.minNr = checkMinNr(name, minNr);
      return this;
    }

    /**
     * Sets how long a waiting allocation sleeps before it retries the backing allocator with reclaim (it
     * wakes earlier when an object is freed to the pool). Default 5 s, the kernel's {@code 5*HZ}.
     *
     * @param waitTimeout positive
     * @return this builder
     */
    public Builder waitTimeout(Duration waitTimeout) {
      if (waitTimeout.isNegative() || waitTimeout.isZero()) {
        throw new IllegalArgumentException("waitTimeout must be positive, was " + waitTimeout);
      }
      this.waitTimeout = waitTimeout;
      return this;
    }

    /**
     * Poisons objects while they sit in the reserve and checks the poison when they leave it (debug mode):
     * a write through a stale handle into a reserved element is reported as {@code BUG <pool>: Poison
     * overwritten ...} through {@link System.Logger} and JFR, and counted in {@link Mempool#debugReports()}.
     * Default: on when the system property {@value #DEBUG_PROPERTY} asks for it for this pool (its flags
     * contain {@code P}, and it names no pools or names this one), else off. This call overrides the
     * property for this pool, in both directions. Do not poison a pool over a slab cache with an object
     * constructor: poison overwrites the constructed state, in the reserve and in objects the pool gives
     * back to the cache. {@code poisonReserve(false)} keeps such a pool unpoisoned whatever the property
     * says.
     *
     * @param on whether to poison
     * @return this builder
     */
    public Builder poisonReserve(boolean on) {
      this.poisonReserve = on;
      return this;
    }

    /**
     * Registers the pool's {@link MempoolMXBean} when built (default off).
     *
     * @param on whether to register
     * @return this builder
     */
    public Builder jmx(boolean on) {
      this.jmx = on;
      return this;
    }

    /**
     * Sets how many objects of the reserve only {@link AllocationPriority#RECLAIMING} allocations may take.
     * Default 0. Ordinary demands (bulk allocations, reservations) may then be at most {@code minNr -
     * headroom}.
     *
     * @param headroom {@code 0 <= headroom < minNr} (checked when the pool is built)
     * @return this builder
     */
    public Builder headroom(int headroom) {
      if (headroom < 0) {
        throw new IllegalArgumentException(name + ": headroom must be 0 or more, was " + headroom);
      }
      this.headroom = headroom;
      return this;
    }

    /**
     * Declares the pool's allocation order for checked mode, like a lock order: a thread that holds objects
     * of pools whose order is lower than this pool's may block on this pool. Default 0, no order: holding
     * anything of the mempools and blocking on this pool is then reported.
     *
     * @param order a positive rank; pools taken first get lower ranks
     * @return this builder
     */
    public Builder allocationOrder(int order) {
      this.order = Allocators.checkPositive("allocationOrder", order);
      return this;
    }

    /**
     * Sets the domain whose queue the pool's waiters share (default {@link ReservationDomain#shared()}).
     * Reservations span pools of one domain.
     *
     * @param domain the domain
     * @return this builder
     */
    public Builder domain(ReservationDomain domain) {
      this.domain = Objects.requireNonNull(domain, "domain");
      return this;
    }

    /** Whether {@value #DEBUG_PROPERTY} asks for poisoning of the pool named {@code pool}. */
    private static boolean debugPropertyAsksForPoison(String pool) {
      String v = System.getProperty(DEBUG_PROPERTY);
      if (v == null) {
        return false;
      }
      String[] parts = v.split(",", -1);
      if (!parts[0].toUpperCase(java.util.Locale.ROOT).contains("P")) {
        return false;
      }
      if (parts.length == 1) {
        return true;
      }
      for (int i = 1; i < parts.length; i++) {
        if (parts[i].trim().equals(pool)) {
          return true;
        }
      }
      return false;
    }

    /**
     * Builds the pool, preallocating {@code minNr} objects from the backing allocator (its {@code
     * allocateBulk}, which may reclaim and wait), all or nothing.
     *
     * <p>The reserve is filled in chunks of at most 4096 objects, each an {@code allocateBulk} of the backing
     * allocator, so the handles' array grows with what was really had: a {@code minNr} the backing allocator
     * cannot provide fails with the backing allocator's {@link AllocationFailedException} as the cause, after
     * every object taken was freed to it again.
     *
     * @return the pool
     * @throws AllocationFailedException if the reserve cannot be preallocated; nothing is held then
     * @throws IllegalArgumentException if the headroom is not below {@code minNr}
     * @throws IllegalStateException if {@code jmx(true)} and the MBean cannot be registered; the reserve is
     *     given back first
     */
    public Mempool build() {
      if (headroom >= minNr) {
        throw new IllegalArgumentException(
            name + ": headroom " + headroom + " must be below minNr " + minNr
                + ": ordinary allocations could never take from the reserve");
      }
      long nanos;
      try {
        nanos = waitTimeout.toNanos();
      } catch (ArithmeticException e) {
        nanos = Long.MAX_VALUE / 4;
      }
      Mempool pool =
          new Mempool(
              MempoolCore.create(
                  name,
                  backing,
                  minNr,
                  headroom,
                  Math.min(nanos, Long.MAX_VALUE / 4),
                  poisonReserve,
                  domain.queue(),
                  order));
      if (jmx) {
        try {
          pool.registerMBean();
        } catch (RuntimeException e) {
          try {
            pool.close();
          } catch (RuntimeException suppressed) {
            e.addSuppressed(suppressed);
          }
          throw e;
        }
      }
      return pool;
    }
  }

  MempoolCore core() {
    return core;
  }

  /**
   * Returns whether {@link #close()} was called (by any thread: a volatile read).
   *
   * @return whether the pool is closed
   */
  public boolean isClosed() {
    return core.isClosed();
  }

  /**
   * Returns the pool's name, which every exception, log report, JFR event and MBean of the pool carries.
   * Also answers after {@link #close()}.
   *
   * @return the name given to {@link #builder}
   */
  @Override
  public String name() {
    return name;
  }

  /**
   * Returns the backing allocator's object size: the pool's objects are the backing allocator's.
   *
   * @return the object size in bytes
   */
  @Override
  public long objectSize() {
    return backing.objectSize();
  }

  /**
   * Returns the backing allocator.
   *
   * @return the allocator the pool draws from
   */
  public ObjectAllocator backing() {
    return backing;
  }

  /**
   * Returns the reserve's target size.
   *
   * @return minNr
   */
  public int minNr() {
    return core.minNr();
  }

  /**
   * Returns how many objects of the reserve only reclaiming allocations may take.
   *
   * @return the headroom, {@code 0..minNr-1}
   */
  public int headroom() {
    return core.headroom();
  }

  /**
   * Returns how many objects are in the reserve now.
   *
   * @return the reserve level, {@code 0..minNr}
   */
  public int reserveLevel() {
    return core.reserveLevel();
  }

  /**
   * Allocates without waiting and without reclaim. It tries the backing allocator's {@code tryAllocate()},
   * which for a slab cache is a magazine pop and never calls a shrinker. Then it takes from the reserve as
   * far as an ordinary allocation may reach: not the headroom, and not what an older waiter's claim holds
   * back. No queue is joined. The reserve is a short critical section on the pool's monitor, which no holder
   * keeps while it waits. A {@code 0} counts in {@link MempoolStatistics#failures()}. Actions before the free
   * that last returned the object to the pool or to its backing allocator happen-before the return of this
   * call.
   *
   * @return a handle, or {@code 0}
   * @throws AllocatorClosedException if the pool is closed (the message names {@code tryAllocate}), or the
   *     backing allocator's if that was closed under the pool
   */
  @Override
  public long tryAllocate() {
    return tryAllocate(AllocationPriority.NORMAL);
  }

  /**
   * Allocates without waiting, as {@link #tryAllocate()}, with the given priority: a reclaiming allocation
   * may take the headroom and is not held back by an ordinary waiter's claim.
   *
   * @param priority how deep into the reserve it may reach
   * @return a handle, or {@code 0}
   * @throws AllocatorClosedException if the pool is closed
   */
  public long tryAllocate(AllocationPriority priority) {
    core.checkOpen("tryAllocate");
    long h = core.allocateFast(priority == AllocationPriority.RECLAIMING);
    if (h == NO_HANDLE) {
      core.countFailure();
    } else {
      HoldAndWaitCheck.took(core, h);
    }
    return h;
  }

  /**
   * Allocates, waiting up to the timeout. It takes the path of {@link #tryAllocate()}. If that finds nothing,
   * the call joins the domain's queue holding nothing. The first free into the reserve that it may take wakes
   * it. It also retries the backing allocator with reclaim at once and then once per {@link
   * Builder#waitTimeout(Duration) waitTimeout}. With a timeout of zero or less it does not wait, but it still
   * retries the backing allocator with reclaim ({@code backing.tryAllocate(0, unit)}). An interrupt is
   * noticed only when the call would wait. A virtual thread parks without pinning its carrier. A bounded
   * wait is not reported by the checked mode. A {@code 0} counts in {@link MempoolStatistics#failures()}.
   *
   * @param timeout the most to wait
   * @param unit its unit
   * @return a handle, or {@code 0} on timeout
   * @throws InterruptedException if interrupted while waiting; nothing is held then
   * @throws AllocatorClosedException if the pool is closed
   */
  @Override
  public long tryAllocate(long timeout, TimeUnit unit) throws InterruptedException {
    core.checkOpen("tryAllocate");
    long h = core.allocateFast(false);
    if (h == NO_HANDLE) {
      long nanos = unit.toNanos(timeout);
      h = nanos <= 0 ? core.allocateReclaim() : slowAllocate(false, true, nanos, true);
      if (h == NO_HANDLE) {
        core.countFailure();
        return h;
      }
    }
    HoldAndWaitCheck.took(core, h);
    return h;
  }

  /**
   * Allocates, waiting as long as it takes: never fails. It tries the backing allocator without reclaim,
   * then the reserve. Failing both, it waits in the domain's queue holding nothing. A free into the reserve
   * that it may take wakes it, and it retries the backing allocator with reclaim at once and every {@link
   * Builder#waitTimeout(Duration) waitTimeout} (default 5 s). A waiter that has waited one claim window
   * may claim the pool for a window (see the class documentation), so a stream of other requests cannot
   * starve it. The guarantee rests on objects taken from the pool being freed eventually. The wait is
   * uninterruptible, as the kernel's: the thread's interrupt status is kept. A virtual thread parks without pinning its carrier.
   * Actions before the free that returned the object happen-before the return of this call. Waits are
   * counted in {@link MempoolStatistics#waits()}. A shrinker of the backing allocator's {@link
   * io.github.slabkit.allocator.MemoryBudget} that throws neither ends the wait nor reaches the caller: the
   * budget asks its other shrinkers and keeps the exception ({@link
   * io.github.slabkit.allocator.MemoryBudget#lastShrinkerFailure()}).
   *
   * @return a handle, never {@code 0}
   * @throws AllocatorClosedException if the pool is closed (the message names {@code allocate}), or the
   *     backing allocator's if that was closed under the pool
   * @throws IllegalStateException in checked mode, if the thread holds an open reservation or objects of a
   *     pool that no declared allocation order puts before this one (hold-and-wait)
   */
  @Override
  public long allocate() {
    return allocate(AllocationPriority.NORMAL);
  }

  /**
   * Allocates as {@link #allocate()}, with the given priority: a reclaiming allocation may take the headroom
   * and passes ordinary waiters' claims. Never fails; waits uninterruptibly.
   *
   * @param priority how deep into the reserve it may reach
   * @return a handle, never {@code 0}
   * @throws AllocatorClosedException if the pool is closed
   * @throws IllegalStateException in checked mode, on hold-and-wait (see {@link #allocate()})
   */
  public long allocate(AllocationPriority priority) {
    boolean reclaiming = priority == AllocationPriority.RECLAIMING;
    core.checkOpen("allocate");
    if (HoldAndWaitCheck.enabled()) {
      return allocateChecked(reclaiming); // one read of the mode on the fast path, not three
    }
    long h = core.allocateFast(reclaiming);
    return h != NO_HANDLE ? h : allocateSlow(reclaiming);
  }

  private long allocateChecked(boolean reclaiming) {
    HoldAndWaitCheck.beforeAcquire(self, allocateOp);
    long h = core.allocateFast(reclaiming);
    if (h == NO_HANDLE) {
      HoldAndWaitCheck.beforeBlocking(self, allocateOp);
      h = allocateSlow(reclaiming);
    }
    HoldAndWaitCheck.took(core, h);
    return h;
  }

  private long allocateSlow(boolean reclaiming) {
    try {
      return slowAllocate(reclaiming, false, 0, false);
    } catch (InterruptedException e) {
      throw new AssertionError("uninterruptible wait threw", e);
    }
  }

  /**
   * Allocates like {@link #allocate()}, but an interrupt ends the wait. An interrupt status already set on
   * entry throws before anything is taken.
   *
   * @return a handle, never {@code 0}
   * @throws InterruptedException if interrupted before or while waiting; nothing is held then
   * @throws AllocatorClosedException if the pool is closed (the message names {@code allocate})
   * @throws IllegalStateException in checked mode, on hold-and-wait (see {@link #allocate()})
   */
  public long allocateInterruptibly() throws InterruptedException {
    core.checkOpen("allocate");
    if (Thread.interrupted()) {
      throw new InterruptedException(name + ": allocateInterruptibly() called with the interrupt status set");
    }
    HoldAndWaitCheck.beforeAcquire(self, allocateOp);
    long h = core.allocateFast(false);
    if (h == NO_HANDLE) {
      HoldAndWaitCheck.beforeBlocking(self, allocateOp);
      h = slowAllocate(false, false, 0, true);
    }
    HoldAndWaitCheck.took(core, h);
    return h;
  }

  long slowAllocate(boolean reclaiming, boolean timed, long nanos, boolean interruptible)
      throws InterruptedException {
    Ticket t = new Ticket(self, new int[] {1}, reclaiming);
    if (!core.queue().await(t, timed, nanos, interruptible)) {
      return NO_HANDLE;
    }
    long h = t.take(0);
    t.release(); // nothing left to give back; the ticket becomes idle
    return h;
  }

  /**
   * Allocates {@code n} objects into {@code dst[0..n)}, all or nothing, never failing: from the backing
   * allocator without waiting and the reserve if possible at once, otherwise by waiting, holding nothing,
   * until they can all be had ({@code mempool_alloc_bulk}). If the backing allocator throws, every object
   * taken is given back before the exception propagates; should its {@code free} refuse one of them too, the
   * pool keeps that object and returns it at its next give-back or at {@link #close()}, so none is lost.
   *
   * @param dst where the handles go
   * @param n how many, {@code 0 <= n <= min(dst.length, minNr() - headroom)}
   * @throws IllegalArgumentException if {@code n} is negative, above {@code dst.length}, or above what an
   *     ordinary demand may take from the reserve (such a demand could wait forever: the reserve never holds
   *     more than {@code minNr})
   * @throws AllocatorClosedException if the pool is closed and {@code n > 0} (the message names {@code
   *     allocateBulk}); the size checks above come first
   * @throws IllegalStateException in checked mode, on hold-and-wait (see {@link #allocate()}); or if a
   *     {@link #resize} racing the call lowered the limit above below {@code n} after the call checked it and
   *     before it began to wait (the wait could never end; nothing is held, the message names the new limit;
   *     once the call waits, such a resize is refused instead)
   */
  @Override
  public void allocateBulk(long[] dst, int n) {
    allocateBulk(dst, n, AllocationPriority.NORMAL);
  }

  /**
   * Allocates {@code n} objects as {@link #allocateBulk(long[], int)}, all or nothing and never failing, with
   * the given priority: a {@linkplain AllocationPriority#RECLAIMING reclaiming} demand may take the
   * headroom, passes ordinary waiters' claims, and may be as large as {@code minNr}.
   *
   * <p>This is the wait for a reclaiming operation that needs several objects at once, such as an extent
   * tree's clear that must split a B+tree node chain. Waiting for one reclaiming object at a time instead
   * and retrying would never end when exactly one is available: the retry takes it, finds the next missing,
   * gives it back and is served it again at once, without ever parking. A bulk wait parks until all {@code n}
   * can be had at once.
   *
   * @param dst where the handles go
   * @param n how many, {@code 0 <= n <= min(dst.length, limit)}, where the limit is {@code minNr() -
   *     headroom()} for {@link AllocationPriority#NORMAL} and {@code minNr()} for {@link
   *     AllocationPriority#RECLAIMING}
   * @param priority how deep into the reserve the demand may reach
   * @throws IllegalArgumentException if {@code n} is negative, above {@code dst.length}, or above the limit of
   *     its priority (such a demand could wait forever)
   * @throws AllocatorClosedException if the pool is closed and {@code n > 0}
   * @throws IllegalStateException in checked mode, on hold-and-wait (see {@link #allocate()}); or if a racing
   *     {@link #resize} lowered the limit below {@code n} (see {@link #allocateBulk(long[], int)})
   */
  public void allocateBulk(long[] dst, int n, AllocationPriority priority) {
    boolean reclaiming = priority == AllocationPriority.RECLAIMING;
    Allocators.checkBulk(dst, n);
    int limit = core.demandLimit(reclaiming);
    if (n > limit) {
      throw new IllegalArgumentException(tooMany(n, limit, reclaiming));
    }
    if (n == 0) {
      return;
    }
    core.checkOpen("allocateBulk");
    HoldAndWaitCheck.beforeAcquire(self, allocateBulkOp);
    Ticket t = new Ticket(self, new int[] {n}, reclaiming);
    if (!t.tryFast()) {
      HoldAndWaitCheck.beforeBlocking(self, allocateBulkOp);
      try {
        core.queue().await(t, false, 0, false);
      } catch (InterruptedException e) {
        throw new AssertionError("uninterruptible wait threw", e);
      }
    }
    t.handOver(dst, 0);
    for (int i = 0; i < n; i++) {
      HoldAndWaitCheck.took(core, dst[i]);
    }
  }

  String tooMany(int n, int limit) {
    return tooMany(n, limit, false);
  }

  String tooMany(int n, int limit, boolean reclaiming) {
    return name
        + ": a demand of "
        + n
        + " objects at once exceeds the "
        + limit
        + (reclaiming ? " a reclaiming request" : " an ordinary request")
        + " may take from the reserve (minNr="
        + minNr()
        + ", headroom="
        + core.headroom()
        + "): the reserve never holds more, and a waiting demand holds nothing, so it could wait forever when"
        + " the backing allocator is exhausted. Ask for at most "
        + limit
        + " objects, or resize the pool first";
  }

  /**
   * Frees an object. If the reserve is below {@code minNr}, the backing allocator's {@link
   * ObjectAllocator#checkHandle checkHandle} vets the handle, and the object refills the reserve and is
   * offered to the oldest waiter that it now satisfies. Otherwise the object goes back to the backing
   * allocator's {@code free}, which validates it (a slab cache's magazine push). If the reserve is found
   * below {@code minNr} only after that (a take from the reserve raced this free, or the handle reached this
   * thread through a data race), the free takes one object back from the backing allocator without waiting,
   * normally the one it just freed, into the reserve. A free never waits for memory and never needs any.
   * Actions before this call happen-before the return of the allocation that next hands the object out, on
   * any thread.
   *
   * <p>A double free is refused when the backing allocator detects double frees, as a slab cache does,
   * wherever either free would put the object: an object in the reserve is {@linkplain ObjectAllocator#stash
   * stashed} in the backing allocator, which counts it as free until the reserve hands it out again. So an
   * object is never in the reserve and the backing allocator at once, nor twice in the reserve. (Two frees
   * racing on two threads without synchronization are a data race in the caller and may go undetected, as in
   * the slab cache.) With a backing allocator that does not detect double frees, checked mode still finds a
   * second free into the reserve by a scan of it; otherwise the object would sit in the reserve twice and two
   * callers would later get it, as in the kernel. A refused free changes nothing, also in checked mode: whoever
   * held the object still holds it there.
   *
   * @param handle a handle of this pool's backing allocator, allocated and not yet freed
   * @throws InvalidHandleException if the backing allocator refuses the handle (null, foreign, or a detected
   *     double free), or checked mode finds it in the reserve already; the pool's statistics and reserve do
   *     not change
   * @throws AllocatorClosedException if the pool is closed, whatever the handle (the message names {@code
   *     free}); or the backing allocator's, if it was closed under the pool and the object goes back to it
   */
  @Override
  public void free(long handle) {
    // Ownership first: once the object is back in the pool another thread may take it and own it.
    HoldAndWaitCheck.Holdings held = HoldAndWaitCheck.disownedForFree(core, handle);
    try {
      core.free(handle);
    } catch (RuntimeException e) {
      // refused (a double free, a foreign handle, a debug report that keeps the object): its holder keeps it
      HoldAndWaitCheck.freeRefused(core, handle, held);
      throw e;
    }
  }

  /**
   * Tells checked mode that the calling thread no longer holds this object: it was stored in a shared data
   * structure (an extent tree's states belong to the tree, not to the thread that inserted them) or handed to
   * another thread. A cheap no-op when checked mode is off; the object stays allocated either way.
   *
   * @param handle a handle allocated from this pool
   */
  public void disown(long handle) {
    HoldAndWaitCheck.disowned(core, handle);
  }

  /**
   * Checks that {@code handle} could be freed to this pool: the backing allocator validates it. Changes
   * nothing.
   *
   * @param handle a handle
   * @throws InvalidHandleException if the backing allocator refuses it (null, foreign, or, where the backing
   *     allocator detects it, not allocated)
   * @throws AllocatorClosedException if the backing allocator is closed
   */
  @Override
  public void checkHandle(long handle) {
    backing.checkHandle(handle);
  }

  /**
   * Returns the segment of the backing allocator that holds the object, for zero-garbage access with
   * {@link #offset(long)} ({@code VH.get(pool.memory(h), pool.offset(h))}). Objects taken from the reserve
   * are ordinary objects of the backing allocator, so this is exactly the backing allocator's answer.
   *
   * @param handle a live handle of this pool
   * @return the segment
   * @throws InvalidHandleException if the backing allocator refuses the handle
   * @throws AllocatorClosedException if the backing allocator is closed
   */
  @Override
  public MemorySegment memory(long handle) {
    return backing.memory(handle);
  }

  /**
   * Returns the object's base offset in {@link #memory(long)}.
   *
   * @param handle a live handle of this pool
   * @return the offset
   * @throws InvalidHandleException if the backing allocator refuses the handle
   * @throws AllocatorClosedException if the backing allocator is closed
   */
  @Override
  public long offset(long handle) {
    return backing.offset(handle);
  }

  /**
   * Returns a view of exactly the object's bytes (allocates the view; {@link #memory}/{@link #offset} do
   * not).
   *
   * @param handle a live handle of this pool
   * @return a segment of {@link #objectSize()} bytes
   * @throws InvalidHandleException if the backing allocator refuses the handle
   * @throws AllocatorClosedException if the backing allocator is closed
   */
  @Override
  public MemorySegment segment(long handle) {
    return backing.segment(handle);
  }

  /**
   * Changes the reserve's target size. Shrinking returns the surplus to the backing allocator at once;
   * growing refills from the backing allocator without waiting as far as it can and leaves the rest to later
   * frees (lazily, as the kernel's documentation allows).
   *
   * @param newMinNr the new size, 1 to {@link #MAX_MIN_NR}
   * @throws IllegalArgumentException if {@code newMinNr} is out of range; nothing changes
   * @throws IllegalStateException if a waiting allocation or reservation demands more than {@code newMinNr},
   *     or {@code newMinNr} is not above the {@link #headroom()} (nothing changes then); or, after the reserve shrank, if the backing allocator's {@code free} threw
   *     for a surplus object: every other surplus object was still freed to it, and the cause is the first
   *     exception
   * @throws AllocatorClosedException if the pool is closed (the message names {@code resize})
   */
  public void resize(int newMinNr) {
    checkMinNr(name, newMinNr);
    core.resize(newMinNr);
  }

  /**
   * Returns the common counters: {@code liveObjects} are objects out of the pool (including those held
   * untaken by reservations), {@code cachedObjects} the reserve, {@code totalObjects} their sum, and
   * {@code bytesCharged} is {@code 0}: the pool charges no budget itself, its objects are charged by the
   * backing allocator, whose statistics show them. Refused frees are not counted. Also answers after
   * {@link #close()}.
   *
   * @return the statistics
   */
  @Override
  public AllocatorStatistics statistics() {
    MempoolCore.Snapshot c = core.snapshot();
    long allocations = c.backingHits() + c.reserveHits();
    long live = c.liveObjects();
    int level = c.reserveLevel();
    return new AllocatorStatistics(
        name, objectSize(), live, level, live + level, allocations, c.frees(), c.failures(), 0);
  }

  /**
   * Returns a snapshot of the pool's counters.
   *
   * @return the statistics
   */
  public MempoolStatistics mempoolStatistics() {
    MempoolCore.Snapshot c = core.snapshot();
    return new MempoolStatistics(
        name,
        objectSize(),
        c.minNr(),
        c.reserveLevel(),
        c.liveObjects(),
        c.backingHits() + c.reserveHits(),
        c.frees(),
        c.backingHits(),
        c.reserveHits(),
        c.failures(),
        c.waits(),
        c.totalWaitNanos(),
        c.maxWaitNanos(),
        c.waiting());
  }

  /**
   * Closes the pool and returns its reserve to the backing allocator, which stays open. Idempotent. Must not
   * race with other operations on the pool. It never waits: with waiters present it refuses.
   *
   * @throws IllegalStateException if allocations or reservations wait for the pool (it stays open then); or,
   *     after closing, if objects are still allocated: they are reported as leaked to the backing allocator
   */
  @Override
  public void close() {
    try {
      core.close();
    } finally {
      if (core.isClosed()) {
        unregisterMBean(); // also when close() reports leaked objects
      }
    }
  }

  private void unregisterMBean() {
    synchronized (this) {
      if (mbeanName != null) {
        try {
          ManagementFactory.getPlatformMBeanServer().unregisterMBean(mbeanName);
        } catch (JMException e) {
          System.getLogger("io.github.slabkit.mempool")
              .log(System.Logger.Level.WARNING, name + ": could not unregister MBean " + mbeanName, e);
        }
        mbeanName = null;
      }
    }
  }

  @Override
  public String toString() {
    return "Mempool[" + name + ", minNr=" + minNr() + ", reserve=" + reserveLevel() + ", backing=" + backing.name()
        + "]";
  }
}
