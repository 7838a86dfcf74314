package io.github.slabkit.extent.internal;

import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The threads waiting for lock bits to clear, each with the range and bits it waits for: an intrusive
 * doubly linked list guarded by the tree lock. Each waiter is woken individually, and only when lock bits
 * it waits for are cleared on a range overlapping its own; a woken waiter is unlinked by its waker, so a
 * wake-up is never lost between the check and the park (both happen under the tree lock) and never
 * delivered twice.
 *
 * <p>Memory ordering: {@link Waiter#woken} is volatile. The waker writes it (under the tree lock) before
 * {@link LockSupport#unpark}; the waiter reads it after {@link LockSupport#park} returns and, since every
 * list change happens under the tree lock, it re-takes that lock before it trusts anything else.
 */
public final class WaitQueue {
  private @Nullable Waiter head;
  private @Nullable Waiter tail;
  private int size;
  private long wakeups;
  private long waits;

  /** Creates an empty queue. */
  public WaitQueue() {}

  /** One waiting thread; reused by its thread for every wait. */
  public static final class Waiter {
    final Thread thread;
    long start;
    long end;
    int bits;
    volatile boolean woken;
    boolean queued;
    boolean swallowedInterrupt;
    @Nullable Waiter prev;
    @Nullable Waiter next;

    /**
     * Creates the waiter of a thread.
     *
     * @param thread the owner
     */
    public Waiter(Thread thread) {
      this.thread = thread;
    }

    /**
     * Returns whether a waker has unlinked and woken this waiter.
     *
     * @return true once woken
     */
    public boolean woken() {
      return woken;
    }

    /**
     * Returns and forgets whether an uninterruptible wait of this thread swallowed an interrupt, which the
     * operation must restore when it returns.
     *
     * @return true if an interrupt was swallowed
     */
    public boolean takeSwallowedInterrupt() {
      boolean s = swallowedInterrupt;
      swallowedInterrupt = false;
      return s;
    }

    /**
     * Returns whether the waiter is in a queue.
     *
     * @return true if queued
     */
    public boolean queued() {
      return queued;
    }
  }

  /**
   * Returns whether nobody waits. Cheap; call under the tree lock.
   *
   * @return true if empty
   */
  public boolean isEmpty() {
    return head == null;
  }

  /**
   * Returns the number of waiters.
   *
   * @return the size
   */
  public int size() {
    return size;
  }

  /**
   * Returns how many waiters were woken since creation.
   *
   * @return the count
   */
  public long wakeups() {
    return wakeups;
  }

  /**
   * Returns how many times a thread started waiting.
   *
   * @return the count
   */
  public long waits() {
    return waits;
  }

  /**
   * Enqueues {@code w} to wait for {@code bits} to clear on {@code [start, end]}. Under the tree lock.
   *
   * @param w the waiter, not queued
   * @param start first offset
   * @param end last offset
   * @param bits the lock bits waited for
   */
  public void enqueue(Waiter w, long start, long end, int bits) {
    w.start = start;
    w.end = end;
    w.bits = bits;
    w.woken = false;
    w.queued = true;
    w.next = null;
    w.prev = tail;
    if (tail == null) {
      head = w;
    } else {
      tail.next = w;
    }
    tail = w;
    size++;
    waits++;
  }

  /**
   * Unlinks {@code w} if it is still queued (after a timeout or an interrupt). Under the tree lock.
   *
   * @param w the waiter
   */
  public void remove(Waiter w) {
    if (!w.queued) {
      return;
    }
    unlink(w);
  }

  /**
   * Wakes every waiter whose range overlaps {@code [start, end]} and that waits for one of {@code bits}.
   * Under the tree lock.
   *
   * @param start first offset whose lock bits were cleared
   * @param end last offset whose lock bits were cleared
   * @param bits the lock bits cleared
   */
  public void wake(long start, long end, int bits) {
    Waiter w = head;
    while (w != null) {
      Waiter next = w.next;
      if ((w.bits & bits) != 0 && w.start <= end && start <= w.end) {
        unlink(w);
        wakeups++;
        w.woken = true; // before unpark: the waiter reads it after park returns
        LockSupport.unpark(w.thread);
      }
      w = next;
    }
  }

  /**
   * Appends a description of every waiter to {@code sb}, for error messages.
   *
   * @param sb the target
   * @param max the most waiters to list
   */
  public void describe(StringBuilder sb, int max) {
    int n = 0;
    for (Waiter w = head; w != null; w = w.next) {
      if (n++ == max) {
        sb.append(", ...");
        return;
      }
      sb.append(n == 1 ? "" : ", ")
          .append('[')
          .append(w.start)
          .append(", ")
          .append(w.end)
          .append("] by ")
          .append(w.thread.getName());
    }
  }

  private void unlink(Waiter w) {
    Waiter p = w.prev;
    Waiter n = w.next;
    if (p == null) {
      head = n;
    } else {
      p.next = n;
    }
    if (n == null) {
      tail = p;
    } else {
      n.prev = p;
    }
    w.prev = null;
    w.next = null;
    w.queued = false;
    size--;
  }
}
