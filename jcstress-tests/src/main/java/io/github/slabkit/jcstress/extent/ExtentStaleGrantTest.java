package io.github.slabkit.jcstress.extent;

import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.extent.ExtentChangeset;
import io.github.slabkit.extent.ExtentTree;
import io.github.slabkit.jcstress.Recycler;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Claim: an unlock skips its check only while no lock bit was cleared since its range was locked, so the
 * unlock of a range whose lock another thread cleared still throws.
 *
 * <p>One thread locks [0, 9] and unlocks it, reporting 1 if the unlock returned and 0 if it threw. The other
 * clears {@code LOCKED} from [0, 9] (range locks have no owner) with a changeset, reporting the bytes it
 * changed: 10 exactly when its clear removed the first thread's lock, between that lock and its unlock.
 */
@JCStressTest
@Description("An unlock whose lock another thread cleared meanwhile is checked and throws.")
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "The clear ran before the lock or after the unlock; the unlock returned.")
@Outcome(id = "0, 10", expect = ACCEPTABLE, desc = "The clear removed the lock; the unlock saw that and threw.")
@Outcome(id = "1, 10", expect = FORBIDDEN, desc = "The unlock trusted a stale grant: it returned although its lock had been cleared.")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "The unlock threw although nobody cleared its lock.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class ExtentStaleGrantTest {
  private static final Recycler<ExtentTree> POOL = new Recycler<>(() -> Trees.newTree("stale-grant"));

  private final ExtentTree tree = POOL.take();
  private final ExtentChangeset changes = new ExtentChangeset();

  @Actor
  public void locker(II_Result r) {
    tree.lock(0, 9);
    try {
      tree.unlock(0, 9);
      r.r1 = 1;
    } catch (IllegalStateException e) {
      r.r1 = 0;
    }
  }

  @Actor
  public void breaker(II_Result r) {
    tree.clear(0, 9, LOCKED, changes, null);
    r.r2 = (int) changes.bytesChanged();
  }

  @Arbiter
  public void arbiter(II_Result r) {
    if (tree.isEmpty()) {
      POOL.recycle(tree);
    }
  }
}
