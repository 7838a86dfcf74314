package io.github.slabkit.mempool;

import io.github.slabkit.allocator.AllocationFailedException;
import io.github.slabkit.allocator.AllocatorClosedException;
import io.github.slabkit.allocator.AllocatorStatistics;
import io.github.slabkit.allocator.Allocators;
import io.github.slabkit.allocator.InvalidHandleException;
import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.mempool.internal.HoldAndWaitCheck;
import io.github.slabkit.mempool.internal.MempoolCore;
import io.github.slabkit.mempool.internal.ReservationQueue;
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
 * <h2>Fairness</h2>
 * Waiting allocations, {@link #allocateBulk bulk allocations} and {@link Reservation}s share one queue and are
 * served first come, first served: while anyone waits for this pool, newcomers do not take from its reserve
 * (they may still get objects from the backing allocator), so {@link #tryAllocate()} can return {@code 0}
 * while the reserve is not empty.
 *
 * <h2>Deadlock</h2>
 * An operation that needs several objects must not take them one blocking call at a time: two threads each
 * holding one object and waiting for another can wait forever (the ABBA deadlock of 2011's btrfs thread).
 * Declare them in one {@link Reservation} or one {@link #allocateBulk} call instead. In checked mode
 * ({@link Reservation#checkedMode(boolean)}) a blocking call on a thread that holds an open reservation
 * fails with an {@link IllegalStateException}.
 *
 * <h2>Thread safety and memory consistency</h2>
 * Thread safe. Actions in a thread prior to freeing an object happen-before actions subsequent to the
 * allocation that returns the same object in another thread, through the reserve as through the backing
 * allocator. {@link #close()} must not race with other operations.
 *
 * <p>Memory access ({@link #memory}, {@link #offset}, {@link #segment}) and {@link #checkHandle} delegate to
 * the backing allocator. The pool does not close its backing allocator.
 */
public final class Mempool implements ObjectAllocator {
  private final MempoolCore core;
  private final String name;
  private final ObjectAllocator backing;
  private final String allocateOp;
  private final String allocateBulkOp;

  private Mempool(MempoolCore core) {
    this.core = core;
    this.name = core.name();
    this.backing = core.backing();
    this.allocateOp = "Mempool '" + name + "'.allocate()";
    this.allocateBulkOp = "Mempool '" + name + "'.allocateBulk()";
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

  /** The system property that turns on reserve poisoning for every pool: {@code -Dslabkit.mempool_debug=P}. */
  public static final String DEBUG_PROPERTY = "slabkit.mempool_debug";

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
    private boolean poisonReserve = debugPropertyAsksForPoison();
    private boolean jmx;

    private Builder(String name, ObjectAllocator backing) {
      this.name = Objects.requireNonNull(name, "name");
      this.backing = Objects.requireNonNull(backing, "backing");
    }

    /**
     * Sets the reserve size: how many objects are preallocated, and the most that one allocation or
     * reservation may demand from this pool at once. Default 1.
     *
     * @param minNr at least 1
     * @return this builder
     */
    public Builder minNr(int minNr) {
      this.minNr = Allocators.checkPositive("minNr", minNr);
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
     * Default: on when the system property {@value #DEBUG_PROPERTY} contains {@code P}, else off. Do not
     * use it over a slab cache with an object constructor: poison overwrites the constructed state.
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

    private static boolean debugPropertyAsksForPoison() {
      String v = System.getProperty(DEBUG_PROPERTY);
      return v != null && v.toUpperCase(java.util.Locale.ROOT).contains("P");
    }

    /**
     * Builds the pool, preallocating {@code minNr} objects from the backing allocator (its {@code
     * allocateBulk}, which may reclaim and wait), all or nothing.
     *
     * @return the pool
     * @throws AllocationFailedException if the reserve cannot be preallocated; nothing is held then
     */
    public Mempool build() {
      long nanos;
      try {
        nanos = waitTimeout.toNanos();
      } catch (ArithmeticException e) {
        nanos = Long.MAX_VALUE / 4;
      }
      Mempool pool =
          new Mempool(
              MempoolCore.create(name, backing, minNr, Math.min(nanos, Long.MAX_VALUE / 4), poisonReserve));
      if (jmx) {
        pool.registerMBean();
      }
      return pool;
    }
  }

  MempoolCore core() {
    return core;
  }

  @Override
  public String name() {
    return name;
  }

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
   * Returns how many objects are in the reserve now.
   *
   * @return the reserve level, {@code 0..minNr}
   */
  public int reserveLevel() {
    return core.reserveLevel();
  }

  /**
   * Allocates without waiting: the backing allocator without reclaim, then the reserve unless someone waits
   * for it.
   *
   * @return a handle, or {@code 0}
   * @throws AllocatorClosedException if the pool is closed
   */
  @Override
  public long tryAllocate() {
    core.checkOpen("tryAllocate");
    long h = core.allocateFast();
    if (h == NO_HANDLE) {
      core.countFailure();
    }
    return h;
  }

  /**
   * Allocates, waiting up to the timeout. With a timeout of zero or less it does not wait but still
   * retries the backing allocator with reclaim. A bounded wait is not reported by the checked mode.
   *
   * @param timeout the most to wait
   * @param unit its unit
   * @return a handle, or {@code 0} on timeout
   * @throws InterruptedException if interrupted while waiting
   * @throws AllocatorClosedException if the pool is closed
   */
  @Override
  public long tryAllocate(long timeout, TimeUnit unit) throws InterruptedException {
    core.checkOpen("tryAllocate");
    long h = core.allocateFast();
    if (h != NO_HANDLE) {
      return h;
    }
    long nanos = unit.toNanos(timeout);
    if (nanos <= 0) {
      h = core.allocateReclaim();
    } else {
      h = slowAllocate(true, nanos, true);
    }
    if (h == NO_HANDLE) {
      core.countFailure();
    }
    return h;
  }

  /**
   * Allocates, waiting as long as it takes: never fails. Waits uninterruptibly, as the kernel does; the
   * thread's interrupt status is kept.
   *
   * @return a handle, never {@code 0}
   * @throws AllocatorClosedException if the pool is closed
   * @throws IllegalStateException in checked mode, if the thread holds an open reservation (hold-and-wait)
   */
  @Override
  public long allocate() {
    HoldAndWaitCheck.beforeBlocking(allocateOp);
    core.checkOpen("allocate");
    long h = core.allocateFast();
    if (h != NO_HANDLE) {
      return h;
    }
    try {
      return slowAllocate(false, 0, false);
    } catch (InterruptedException e) {
      throw new AssertionError("uninterruptible wait threw", e);
    }
  }

  /**
   * Allocates like {@link #allocate()}, but an interrupt ends the wait.
   *
   * @return a handle, never {@code 0}
   * @throws InterruptedException if interrupted while waiting; nothing is held then
   * @throws AllocatorClosedException if the pool is closed
   * @throws IllegalStateException in checked mode, if the thread holds an open reservation (hold-and-wait)
   */
  public long allocateInterruptibly() throws InterruptedException {
    HoldAndWaitCheck.beforeBlocking(allocateOp);
    core.checkOpen("allocate");
    if (Thread.interrupted()) {
      throw new InterruptedException(name + ": allocateInterruptibly() called with the interrupt status set");
    }
    long h = core.allocateFast();
    if (h != NO_HANDLE) {
      return h;
    }
    return slowAllocate(false, 0, true);
  }

  private long slowAllocate(boolean timed, long nanos, boolean interruptible) throws InterruptedException {
    Ticket t = new Ticket(new MempoolCore[] {core}, new int[] {1});
    if (!ReservationQueue.await(t, timed, nanos, interruptible)) {
      return NO_HANDLE;
    }
    long h = t.take(0);
    t.release(); // nothing left to give back; the ticket becomes idle
    return h;
  }

  /**
   * Allocates {@code n} objects into {@code dst[0..n)}, all or nothing, never failing: from the backing
   * allocator without waiting and the reserve if possible at once, otherwise by waiting, holding nothing,
   * until the reserve can give all that is missing ({@code mempool_alloc_bulk}).
   *
   * @param dst where the handles go
   * @param n how many, {@code 0 <= n <= min(dst.length, minNr())}
   * @throws IllegalArgumentException if {@code n} is negative, above {@code dst.length}, or above
   *     {@code minNr()} (such a demand could wait forever: the reserve never holds more than {@code minNr})
   * @throws AllocatorClosedException if the pool is closed
   * @throws IllegalStateException in checked mode, if the thread holds an open reservation (hold-and-wait)
   */
  @Override
  public void allocateBulk(long[] dst, int n) {
    Allocators.checkBulk(dst, n);
    int min = core.minNr();
    if (n > min) {
      throw new IllegalArgumentException(tooMany(n, min));
    }
    if (n == 0) {
      return;
    }
    HoldAndWaitCheck.beforeBlocking(allocateBulkOp);
    core.checkOpen("allocateBulk");
    int got = core.fillFromBacking(dst, 0, n);
    if (got == n || core.takeFromReserve(dst, got, n - got)) {
      core.countAllocated(got, n - got);
      return;
    }
    if (core.giveBack(dst, 0, got, false)) {
      ReservationQueue.grantWaiters();
    }
    Ticket t = new Ticket(new MempoolCore[] {core}, new int[] {n});
    try {
      ReservationQueue.await(t, false, 0, false);
    } catch (InterruptedException e) {
      throw new AssertionError("uninterruptible wait threw", e);
    }
    t.handOver(dst, 0);
  }

  String tooMany(int n, int min) {
    return name
        + ": a demand of "
        + n
        + " objects at once exceeds minNr="
        + min
        + ": the reserve never holds more than minNr objects, and a waiting demand holds nothing, so it could"
        + " wait forever when the backing allocator is exhausted. Ask for at most "
        + min
        + " objects, or resize the pool first (resize("
        + n
        + "))";
  }

  /**
   * Frees an object: it refills the reserve if that is below {@code minNr} (waking a waiter), else it goes
   * back to the backing allocator.
   *
   * <p>A double free is detected where the object goes: by the backing allocator (a slab cache detects it),
   * or, for an object that refills the reserve, only in checked mode (a scan of the reserve). Undetected, it
   * puts the object in the reserve twice and two callers later get the same object, as in the kernel.
   *
   * @param handle a handle of this pool's backing allocator, allocated and not yet freed
   * @throws InvalidHandleException if the backing allocator refuses the handle (null, foreign, or a detected
   *     double free); nothing changes
   * @throws AllocatorClosedException if the pool is closed
   */
  @Override
  public void free(long handle) {
    core.free(handle);
  }

  @Override
  public void checkHandle(long handle) {
    backing.checkHandle(handle);
  }

  @Override
  public MemorySegment memory(long handle) {
    return backing.memory(handle);
  }

  @Override
  public long offset(long handle) {
    return backing.offset(handle);
  }

  @Override
  public MemorySegment segment(long handle) {
    return backing.segment(handle);
  }

  /**
   * Changes the reserve's target size. Shrinking returns the surplus to the backing allocator at once;
   * growing refills from the backing allocator without waiting as far as it can and leaves the rest to later
   * frees (lazily, as the kernel's documentation allows).
   *
   * @param newMinNr the new size, at least 1
   * @throws IllegalArgumentException if {@code newMinNr < 1}
   * @throws IllegalStateException if a waiting allocation or reservation demands more than {@code newMinNr}
   * @throws AllocatorClosedException if the pool is closed
   */
  public void resize(int newMinNr) {
    Allocators.checkPositive("minNr", newMinNr);
    core.resize(newMinNr);
  }

  /**
   * Returns the common counters: {@code liveObjects} are objects out of the pool (including those held
   * untaken by reservations), {@code cachedObjects} the reserve, {@code totalObjects} their sum, and
   * {@code bytesCharged} is {@code 0}: the pool charges no budget itself, its objects are charged by the
   * backing allocator, whose statistics show them.
   *
   * @return the statistics
   */
  @Override
  public AllocatorStatistics statistics() {
    long[] c = core.counters();
    long allocations = c[0] + c[1];
    long live = allocations - c[2];
    return new AllocatorStatistics(name, objectSize(), live, c[7], live + c[7], allocations, c[2], c[3], 0);
  }

  /**
   * Returns a snapshot of the pool's counters.
   *
   * @return the statistics
   */
  public MempoolStatistics mempoolStatistics() {
    long[] c = core.counters();
    long allocations = c[0] + c[1];
    return new MempoolStatistics(
        name,
        objectSize(),
        (int) c[8],
        (int) c[7],
        allocations - c[2],
        allocations,
        c[2],
        c[0],
        c[1],
        c[3],
        c[4],
        c[5],
        c[6],
        (int) c[9]);
  }

  /**
   * Closes the pool and returns its reserve to the backing allocator, which stays open. Idempotent.
   *
   * @throws IllegalStateException if allocations or reservations wait for the pool (it stays open then); or,
   *     after closing, if objects are still allocated: they are reported as leaked to the backing allocator
   */
  @Override
  public void close() {
    core.close();
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
