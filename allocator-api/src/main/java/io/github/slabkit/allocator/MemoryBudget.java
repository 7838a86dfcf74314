package io.github.slabkit.allocator;

import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A byte limit shared by any number of allocators: the machine's RAM in miniature. Allocators charge it when
 * they take memory from the operating system (a new slab) and credit it when they give memory back.
 *
 * <p>{@link #tryCharge(long)} never blocks and never reclaims: it is what {@code tryAllocate()} uses.
 * {@link #charge(long, long, TimeUnit)} first asks every registered {@link Shrinker} to release idle memory,
 * then waits for credit up to the timeout, asking again each time credit arrives but is not enough.
 *
 * <p>A shrinker that throws a {@link RuntimeException} does not stop reclaim: the next shrinkers are still
 * asked, and the exception is kept as {@link #lastShrinkerFailure()} and counted in {@link
 * #shrinkerFailures()}. So a blocking allocation either gets its memory
 * or fails with its allocator's {@link AllocationFailedException}, to which that exception is attached as
 * suppressed; it never sees the shrinker's exception itself. An {@link Error} a shrinker throws propagates.
 *
 * <p>Thread safe. Actions in a thread prior to {@link #credit(long)} happen-before a charge in another thread
 * that succeeds because of that credit.
 *
 * {@snippet :
 * MemoryBudget budget = MemoryBudget.ofBytes("tree-nodes", 8 << 20); // 8 MiB shared by several caches
 * }
 */
public final class MemoryBudget {

  private static final MemoryBudget UNLIMITED_SHARED = new MemoryBudget("unlimited", Long.MAX_VALUE);

  private final String name;
  private final long limit;
  private final AtomicLong used = new AtomicLong();
  /**
   * One entry per registration (never compared by equality), so closing a registration removes exactly its
   * own entry even when one shrinker is registered twice.
   */
  private final CopyOnWriteArrayList<Entry> shrinkers = new CopyOnWriteArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition credited = lock.newCondition();
  /** Threads in {@link #charge}'s wait; read without the lock by {@link #credit} to skip signalling. */
  private volatile int waiters;
  /** The exception of the latest reclaim in which a shrinker threw; cleared by one in which none did. */
  private volatile @Nullable RuntimeException lastShrinkerFailure;

  private final AtomicLong shrinkerFailures = new AtomicLong();

  private static final System.Logger LOG = System.getLogger("io.github.slabkit.allocator");

  private MemoryBudget(String name, long limit) {
    this.name = Objects.requireNonNull(name, "name");
    this.limit = limit;
  }

  /**
   * Returns a new budget with the given limit.
   *
   * @param name a name for messages and statistics
   * @param limitBytes the limit in bytes, positive
   * @return the budget
   * @throws IllegalArgumentException if {@code limitBytes <= 0}
   */
  public static MemoryBudget ofBytes(String name, long limitBytes) {
    if (limitBytes <= 0) {
      throw new IllegalArgumentException(
          "memory budget '" + name + "': limit must be positive, was " + limitBytes);
    }
    return new MemoryBudget(name, limitBytes);
  }

  /**
   * Returns a new budget without a limit; it still counts what is charged.
   *
   * @param name a name for messages and statistics
   * @return the budget
   */
  public static MemoryBudget unlimited(String name) {
    return new MemoryBudget(name, Long.MAX_VALUE);
  }

  /**
   * Returns the shared unlimited budget that allocators use when none is given.
   *
   * @return the default budget
   */
  public static MemoryBudget unlimited() {
    return UNLIMITED_SHARED;
  }

  /**
   * Returns the name.
   *
   * @return the budget's name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the limit in bytes ({@link Long#MAX_VALUE} when unlimited).
   *
   * @return the limit
   */
  public long limit() {
    return limit;
  }

  /**
   * Returns the bytes charged now.
   *
   * @return the bytes in use
   */
  public long used() {
    return used.get();
  }

  /**
   * Returns {@code limit() - used()}, never negative.
   *
   * @return the bytes still available
   */
  public long available() {
    return Math.max(0, limit - used.get());
  }

  /**
   * Charges {@code bytes} if they fit; never blocks, never reclaims.
   *
   * @param bytes the bytes to charge, not negative
   * @return whether the charge was made
   */
  public boolean tryCharge(long bytes) {
    checkBytes(bytes);
    for (; ; ) {
      long u = used.get();
      long next = u + bytes;
      if (next > limit || next < 0) {
        return false;
      }
      if (used.compareAndSet(u, next)) {
        return true;
      }
    }
  }

  /**
   * Charges {@code bytes}, reclaiming from the shrinkers and waiting for credit up to the timeout.
   *
   * @param bytes the bytes to charge, not negative
   * @param timeout the longest time to wait after reclaim did not suffice; zero means reclaim only
   * @param unit the unit of {@code timeout}
   * @return whether the charge was made
   * @throws InterruptedException if interrupted while waiting; nothing is charged then
   */
  @SuppressWarnings("NonAtomicVolatileUpdate") // waiters is written only under lock
  public boolean charge(long bytes, long timeout, TimeUnit unit) throws InterruptedException {
    if (tryCharge(bytes)) {
      return true;
    }
    if (bytes > limit) {
      return false;
    }
    long deadline = System.nanoTime() + unit.toNanos(Math.max(0, timeout));
    for (; ; ) {
      reclaim(bytes);
      if (tryCharge(bytes)) {
        return true;
      }
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        return false;
      }
      lock.lockInterruptibly();
      try {
        waiters++;
        try {
          if (tryCharge(bytes)) {
            return true;
          }
          credited.awaitNanos(remaining);
        } finally {
          waiters--;
        }
      } finally {
        lock.unlock();
      }
      if (tryCharge(bytes)) {
        return true;
      }
    }
  }

  /**
   * Waits, without charging anything, until {@code bytes} are available, {@code ready} is true, {@link
   * #wakeWaiters()} is called, or the timeout passes. For an allocator whose waiter can be served two ways:
   * by new memory (a credit) or by objects coming back to the allocator itself ({@code ready}). Such an
   * allocator calls {@link #wakeWaiters()} after objects came back while {@link #waitingThreads()} is non-zero.
   *
   * <p>No wake-up is lost: {@code ready} is evaluated under the budget's lock after the caller is counted in
   * {@link #waitingThreads()}, so an allocator that makes {@code ready} true after that evaluation sees the waiter
   * counted and its {@link #wakeWaiters()} waits for the lock until this thread waits. {@code ready} must not
   * block, and must not call into this budget.
   *
   * @param bytes the bytes the caller would charge
   * @param timeout the longest time to wait
   * @param unit the unit of {@code timeout}
   * @param ready whether the caller's own allocator can now serve it without new memory
   * @throws InterruptedException if interrupted while waiting
   */
  // One wait, no loop: a spurious wake-up is one of the returns the caller already handles (it re-checks
  // the budget and its own allocator, and waits again).
  @SuppressWarnings({"NonAtomicVolatileUpdate", "WaitNotInLoop"}) // waiters is written only under lock
  public void awaitCredit(long bytes, long timeout, TimeUnit unit, BooleanSupplier ready)
      throws InterruptedException {
    long nanos = unit.toNanos(timeout);
    if (nanos <= 0) {
      return;
    }
    lock.lockInterruptibly();
    try {
      waiters++;
      try {
        if (available() >= bytes || ready.getAsBoolean()) {
          return;
        }
        credited.awaitNanos(nanos);
      } finally {
        waiters--;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Wakes every thread waiting in {@link #charge} or {@link #awaitCredit}, so that each looks again at what
   * it waits for (the chargers find nothing new and wait on). A slow path: called by an allocator when
   * objects came back to it while threads wait.
   */
  public void wakeWaiters() {
    lock.lock();
    try {
      credited.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns {@code bytes} to the budget and wakes threads waiting in {@link #charge}.
   *
   * @param bytes the bytes to credit, not negative and not more than is charged
   * @throws IllegalStateException if more would be credited than is charged (a bookkeeping bug in the
   *     caller); the budget is unchanged
   */
  public void credit(long bytes) {
    checkBytes(bytes);
    for (; ; ) {
      long u = used.get();
      if (bytes > u) {
        throw new IllegalStateException(
            "memory budget '" + name + "': credit of " + bytes + " B exceeds the " + u + " B charged");
      }
      if (used.compareAndSet(u, u - bytes)) {
        break;
      }
    }
    if (waiters > 0) {
      lock.lock();
      try {
        credited.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /**
   * Asks every registered shrinker to release memory until {@code bytesWanted} bytes are available or all
   * were asked.
   *
   * <p>A shrinker that throws a {@link RuntimeException} is skipped: the others are still asked, and the
   * exception becomes {@link #lastShrinkerFailure()} and counts in {@link #shrinkerFailures()}. A reclaim in
   * which no shrinker threw clears {@link #lastShrinkerFailure()}.
   *
   * @param bytesWanted the bytes the caller needs available
   * @return the bytes the shrinkers credited (a throwing shrinker's share counts as 0)
   */
  public long reclaim(long bytesWanted) {
    long total = 0;
    RuntimeException failed = null;
    for (Entry e : shrinkers) {
      if (available() >= bytesWanted) {
        break;
      }
      try {
        total += e.shrinker.shrink(bytesWanted - available());
      } catch (RuntimeException x) {
        // One misbehaving shrinker (often another library's) must not keep the others from being asked,
        // nor turn an allocation into its exception: the allocator's failure carries it instead.
        failed = x;
        shrinkerFailures.incrementAndGet();
        // Also logged (WARNING, logger io.github.slabkit.allocator), once per registration.
        if (!e.reported) {
          e.reported = true; // a benign race may log twice; a throwing shrinker must not log every 10 ms
          LOG.log(
              System.Logger.Level.WARNING,
              "memory budget '" + name + "': shrinker " + e.shrinker + " threw; the other shrinkers were"
                  + " still asked (further failures of this shrinker are counted, not logged)",
              x);
        }
      }
    }
    lastShrinkerFailure = failed;
    return total;
  }

  /**
   * Returns the exception a shrinker threw in the latest {@link #reclaim} of this budget (by any thread), or
   * null if no shrinker threw in it. {@link AllocationFailedException}s built for this budget attach it as
   * suppressed.
   *
   * @return the exception, or null
   */
  public @Nullable RuntimeException lastShrinkerFailure() {
    return lastShrinkerFailure;
  }

  /**
   * Returns how many times a shrinker of this budget threw during {@link #reclaim}.
   *
   * @return the count since the budget was created
   */
  public long shrinkerFailures() {
    return shrinkerFailures.get();
  }

  /**
   * Registers a shrinker that {@link #charge} and {@link #reclaim} will ask for memory. Registering one
   * shrinker twice gives two registrations, each removed only by its own {@code close()}.
   *
   * @param shrinker the shrinker
   * @return a registration whose {@code close()} unregisters it (idempotent: a second close does nothing)
   */
  public Registration register(Shrinker shrinker) {
    Entry e = new Entry(Objects.requireNonNull(shrinker, "shrinker"));
    shrinkers.add(e);
    return e;
  }

  /** A registration: its identity is the list entry, so removing it never removes another one. */
  private final class Entry implements Registration {
    final Shrinker shrinker;
    /** Whether this registration's first failure was logged. */
    volatile boolean reported;

    Entry(Shrinker shrinker) {
      this.shrinker = shrinker;
    }

    @Override
    public void close() {
      shrinkers.remove(this); // identity: Entry does not override equals
    }
  }

  /**
   * Returns how many threads wait in {@link #charge} or {@link #awaitCredit} now: a snapshot for monitoring and tests.
   *
   * @return the number of waiting threads
   */
  public int waitingThreads() {
    return waiters;
  }

  /**
   * Returns how many shrinkers are registered.
   *
   * @return the count
   */
  public int shrinkerCount() {
    return shrinkers.size();
  }

  /** A shrinker's registration with a budget; closing it unregisters the shrinker. Idempotent. */
  public interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  private void checkBytes(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException(
          "memory budget '" + name + "': byte count must not be negative, was " + bytes);
    }
  }

  @Override
  public String toString() {
    return "MemoryBudget[" + name + ", used " + used() + " of " + Allocators.bytes(limit) + "]";
  }
}
