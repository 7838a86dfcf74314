package io.github.slabkit.jcstress.extent;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.jcstress.Recycler;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * Claim: {@code unlock} wakes a thread waiting in {@code lock} for an overlapping range; the wake-up is
 * never lost, whether the waiter is already parked, enqueuing, or not yet there.
 *
 * <p>The state locks [0, 99]. The actor locks [50, 149] (blocking) and unlocks it, which leaves the tree
 * empty; the signal unlocks [0, 99]. The tree is on a tiny budget (see {@code Trees}).
 */
@JCStressTest(Mode.Termination)
@Description(
    "Unlock wakes a thread waiting in lock for an overlapping range; the wake-up is never lost, "
        + "whether the waiter is already parked, enqueuing, or not yet there.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The unlock released the waiting lock.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The lock stayed blocked after the overlapping range was unlocked: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class ExtentUnlockWakesWaiterTest {
  private static final Recycler<ExtentTree> POOL = new Recycler<>(() -> Trees.newTree("wakeup"));

  private final ExtentTree tree = POOL.take();

  public ExtentUnlockWakesWaiterTest() {
    tree.lock(0, 99);
  }

  @Actor
  public void waiter() {
    tree.lock(50, 149);
    tree.unlock(50, 149);
    if (tree.isEmpty()) { // the last change of this sample: the unlocker's clear came before the wake-up
      POOL.recycle(tree);
    }
  }

  @Signal
  public void unlocker() {
    tree.unlock(0, 99);
  }
}
