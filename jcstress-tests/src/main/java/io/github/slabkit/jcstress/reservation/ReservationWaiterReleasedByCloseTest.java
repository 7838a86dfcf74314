package io.github.slabkit.jcstress.reservation;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.jcstress.mempool.CountingAllocator;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.Reservation;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * Claim: a blocking acquisition with demands crossing those of a held reservation (P then Q, against Q
 * then P) waits holding nothing, and the close of the held reservation releases it: no ABBA deadlock, no
 * lost wake-up.
 *
 * <p>Pools P and Q each have a reserve of one and an exhausted backing allocator; the state holds a
 * reservation of Q and P. The actor acquires P and Q (blocking) and closes; the signal closes the held
 * reservation. Wait timeouts are an hour, so only the wake-up can release the actor.
 */
@JCStressTest(Mode.Termination)
@Description(
    "A blocking acquisition with demands crossing those of a held reservation (P then Q, against Q "
        + "then P) waits holding nothing, and the close of the held reservation releases it: no ABBA "
        + "deadlock, no lost wake-up.")
@Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "Closing the held reservation released the blocked acquisition.")
@Outcome(id = "STALE", expect = FORBIDDEN, desc = "The acquisition stayed blocked after the objects it waits for were returned.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class ReservationWaiterReleasedByCloseTest {
  private final Mempool p = pool("P");
  private final Mempool q = pool("Q");
  private final Reservation held = Reservation.of(q, 1).and(p, 1).acquire();
  private final Reservation waiting = Reservation.of(p, 1).and(q, 1).build();

  private static Mempool pool(String name) {
    return Mempool.builder(name, new CountingAllocator(name + "-backing", 1))
        .minNr(1)
        .waitTimeout(Duration.ofHours(1))
        .build();
  }

  @Actor
  public void acquirer() {
    waiting.reacquire();
    waiting.close();
  }

  @Signal
  public void closer() {
    held.close();
  }
}
