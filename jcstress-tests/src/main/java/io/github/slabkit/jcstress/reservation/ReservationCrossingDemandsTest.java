package io.github.slabkit.jcstress.reservation;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.jcstress.mempool.CountingAllocator;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.Reservation;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Claim: two reservations with crossing demands (P then Q, and Q then P) never both hold part of what they
 * asked for: afterwards at most one is held, it holds all of its demand, and the other holds nothing.
 *
 * <p>Pools P and Q each have a reserve of one and an exhausted backing allocator. Both threads {@code
 * tryReacquire()} at once. Result: (reservation 1 held, reservation 2 held, 1 if every object is accounted
 * for and each reservation holds all or nothing).
 */
@JCStressTest
@Description(
    "Two reservations with crossing demands (P then Q, and Q then P) never both hold part of what "
        + "they asked for: afterwards at most one is held, it holds all of its demand, and the other holds "
        + "nothing.")
@Outcome(id = {"1, 0, 1", "0, 1, 1"}, expect = ACCEPTABLE, desc = "One reservation got both objects; the other holds nothing.")
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE_INTERESTING, desc = "Both non-blocking attempts failed and rolled back, each having met the other's transient hold; neither holds anything. Allowed: tryReacquire promises success only if every object is at hand when it looks (a try-lock of two locks behaves alike).")
@Outcome(id = {"1, 1, 1", "1, 1, 0"}, expect = FORBIDDEN, desc = "Both reservations are held although the two objects can satisfy only one.")
@Outcome(expect = FORBIDDEN, desc = "A reservation holds part of its demand, or an object was lost or duplicated.")
@State
public class ReservationCrossingDemandsTest {
  private final Mempool p = Mempool.builder("P", new CountingAllocator("P-backing", 1)).minNr(1).build();
  private final Mempool q = Mempool.builder("Q", new CountingAllocator("Q-backing", 1)).minNr(1).build();
  private final Reservation pq = Reservation.of(p, 1).and(q, 1).build();
  private final Reservation qp = Reservation.of(q, 1).and(p, 1).build();
  private boolean held1;
  private boolean held2;

  @Actor
  public void pThenQ() {
    held1 = pq.tryReacquire();
  }

  @Actor
  public void qThenP() {
    held2 = qp.tryReacquire();
  }

  @Arbiter
  public void arbiter(III_Result r) {
    r.r1 = held1 ? 1 : 0;
    r.r2 = held2 ? 1 : 0;
    boolean wholeOrNothing =
        pq.remaining(p) == r.r1 && pq.remaining(q) == r.r1 && qp.remaining(p) == r.r2 && qp.remaining(q) == r.r2;
    boolean counted =
        p.reserveLevel() + pq.remaining(p) + qp.remaining(p) == 1
            && q.reserveLevel() + pq.remaining(q) + qp.remaining(q) == 1;
    r.r3 = wholeOrNothing && counted ? 1 : 0;
  }
}
