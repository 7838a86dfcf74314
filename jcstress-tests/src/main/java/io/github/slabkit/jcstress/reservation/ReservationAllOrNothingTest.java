package io.github.slabkit.jcstress.reservation;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
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
 * Claim: an acquisition racing a single allocation is never seen partially: the reservation gets all k
 * objects or none, and a racing allocation never finds k-1 of them taken.
 *
 * <p>The pool's reserve holds exactly two objects and its backing allocator is exhausted. Actor 1 tries to
 * acquire a reservation of two; actor 2 tries to allocate one. If the reservation went first, the
 * allocation finds nothing; if the allocation went first, the reservation cannot have both and holds
 * nothing. Result: (reservation held, allocation got one, 1 if every object is accounted for).
 */
@JCStressTest
@Description(
    "An acquisition racing a single allocation is never seen partially: the reservation gets all k "
        + "objects or none, and a racing allocation never finds k-1 of them taken.")
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "The reservation got both objects; the allocation found none.")
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The allocation got one object; the reservation, which needs two, holds none.")
@Outcome(id = "0, 0, 1", expect = FORBIDDEN, desc = "Both failed: the allocation saw the reservation's partial hold of one of two objects.")
@Outcome(id = {"1, 1, 1", "1, 1, 0"}, expect = FORBIDDEN, desc = "Three objects went out of a reserve of two.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome loses or duplicates an object.")
@State
public class ReservationAllOrNothingTest {
  private final Mempool pool =
      Mempool.builder("all-or-nothing", new CountingAllocator("all-or-nothing-backing", 2))
          .minNr(2)
          .build();
  private final Reservation reservation = Reservation.of(pool, 2).build();
  private boolean held;
  private long single;

  @Actor
  public void reserve() {
    held = reservation.tryReacquire();
  }

  @Actor
  public void allocate() {
    single = pool.tryAllocate();
  }

  @Arbiter
  public void arbiter(III_Result r) {
    int remaining = reservation.remaining(pool);
    r.r1 = held ? 1 : 0;
    r.r2 = single != 0 ? 1 : 0;
    r.r3 = remaining == (held ? 2 : 0) && pool.reserveLevel() + remaining + r.r2 == 2 ? 1 : 0;
  }
}
