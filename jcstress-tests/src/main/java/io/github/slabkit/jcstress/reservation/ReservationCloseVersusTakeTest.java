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
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Claim: a close racing a take never hands an object out twice: what one reservation's owner took stays
 * its own, and only what it did not take goes back to the reserve, where a racing acquisition may get it.
 *
 * <p>A reservation is documented as used by one thread at a time, so the race is between two of them: the
 * pool's reserve holds two objects, both held by reservation A; actor 1 takes one from A and closes A
 * (returning the other); actor 2 tries to acquire reservation B of one object and takes it. Result: (B got
 * one, 1 if the objects are distinct and all accounted for).
 */
@JCStressTest
@Description(
    "A close racing a take never hands an object out twice: what one reservation's owner took stays "
        + "its own, and only what it did not take goes back to the reserve, where a racing acquisition may "
        + "get it.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "B got the object A's close returned; A's taken object stayed A's.")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "B came before A's close and got nothing; the untaken object is back in the reserve.")
@Outcome(id = {"1, 0", "0, 0"}, expect = FORBIDDEN, desc = "An object was handed out twice, or lost.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class ReservationCloseVersusTakeTest {
  private final Mempool pool =
      Mempool.builder("close-take", new CountingAllocator("close-take-backing", 2)).minNr(2).build();
  private final Reservation a = Reservation.of(pool, 2).acquire();
  private final Reservation b = Reservation.of(pool, 1).build();
  private long takenByA;
  private long takenByB;

  @Actor
  public void takeAndClose() {
    takenByA = a.take(pool);
    a.close();
  }

  @Actor
  public void acquireAndTake() {
    if (b.tryReacquire()) {
      takenByB = b.take(pool);
    }
  }

  @Arbiter
  public void arbiter(II_Result r) {
    r.r1 = takenByB != 0 ? 1 : 0;
    boolean distinct = takenByA != 0 && takenByA != takenByB;
    r.r2 = distinct && pool.reserveLevel() + 1 + r.r1 == 2 ? 1 : 0;
  }
}
