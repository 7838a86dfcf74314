package io.github.slabkit.jcstress.mempool;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.mempool.Mempool;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * Claim: a free at the reserve boundary never loses the wake-up of an allocation blocked on the empty
 * reserve.
 *
 * <p>The backing allocator is exhausted and the reserve ({@code minNr = 1}) is empty: the state holds the
 * only object. The actor's {@code allocate()} blocks (or is about to); the signal frees the object, which
 * refills the reserve and must release the actor. The wait timeout is an hour, so a lost wake-up is not
 * hidden by the periodic retry.
 */
@JCStressTest(Mode.Termination)
@Description(
    "A free at the reserve boundary never loses the wake-up of an allocation blocked on the empty "
        + "reserve.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The free released the blocked allocation.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The allocation stayed blocked after the object was freed: a lost wake-up.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class MempoolWaiterReleasedByFreeTest {
  private final Mempool pool =
      Mempool.builder("wakeup", new CountingAllocator("wakeup-backing", 1))
          .minNr(1)
          .waitTimeout(Duration.ofHours(1))
          .build();
  private final long held = pool.allocate();

  @Actor
  public void allocator() {
    pool.allocate();
  }

  @Signal
  public void freer() {
    pool.free(held);
  }
}
