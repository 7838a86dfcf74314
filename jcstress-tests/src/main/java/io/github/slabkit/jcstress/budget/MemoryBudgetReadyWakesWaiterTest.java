package io.github.slabkit.jcstress.budget;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.allocator.MemoryBudget;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * Claim ({@link MemoryBudget#awaitCredit}): an allocator that makes a waiter's {@code ready} condition true
 * and then calls {@link MemoryBudget#wakeWaiters()} if {@link MemoryBudget#waitingThreads()} is non-zero never
 * loses the waiter's wake-up, whether the waiter is parked, counting itself, or not yet there. This is the
 * slab layer's protocol: its free puts objects in the slab lists under the slab lock, then wakes; a waiting
 * allocation re-checks the lists under the budget's lock after counting itself.
 *
 * <p>The budget is full, so no credit can end the wait. The actor waits an hour for credit or readiness;
 * the signal makes the allocator ready (under an allocator lock, as the slab lists are) and wakes waiters.
 * The actor must return; if it stays blocked the harness reports {@code STALE}.
 */
@JCStressTest(Mode.Termination)
@Description("An allocator that becomes ready and then wakes the budget's waiters never loses a waiter's wake-up.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The waiter saw the allocator ready, or was woken.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The waiter stayed blocked although the allocator was ready: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class MemoryBudgetReadyWakesWaiterTest {
  private final MemoryBudget budget = MemoryBudget.ofBytes("ready-wakes", 8);
  private final ReentrantLock allocatorLock = new ReentrantLock();
  private boolean ready; // guarded by allocatorLock, like the slab lists

  {
    budget.tryCharge(8);
  }

  private boolean isReady() {
    allocatorLock.lock();
    try {
      return ready;
    } finally {
      allocatorLock.unlock();
    }
  }

  @Actor
  public void waiter() {
    try {
      while (!isReady()) { // the caller's loop: a return may be spurious or a wake-up
        budget.awaitCredit(8, 1, TimeUnit.HOURS, this::isReady);
      }
    } catch (InterruptedException e) {
      // the harness interrupts a STALE actor to end the sample
    }
  }

  @Signal
  public void allocatorFree() {
    allocatorLock.lock();
    try {
      ready = true;
    } finally {
      allocatorLock.unlock();
    }
    if (budget.waitingThreads() > 0) {
      budget.wakeWaiters();
    }
  }
}
