package io.github.slabkit.mempool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

/** Pools over {@link FaultyAllocator}s for the reservation tests, and the conservation check after each. */
final class ReservationFixtures {
  private ReservationFixtures() {}

  /** A pool of {@code minNr} over {@code backing}, in {@code domain}. */
  static Mempool pool(FaultyAllocator backing, ReservationDomain domain, int minNr) {
    return Mempool.builder(backing.name(), backing).minNr(minNr).domain(domain).build();
  }

  /** Takes everything pool {@code p} has (when its backing's capacity is its reserve, a demand on it waits). */
  static List<Long> drain(Mempool p) {
    List<Long> held = new ArrayList<>();
    for (long h; (h = p.tryAllocate()) != 0; ) {
      held.add(h);
    }
    return held;
  }

  /** Nothing handed out, the reserve full, and the backing holding the reserve's objects only. */
  static void assertConserved(Mempool p, FaultyAllocator backing) {
    MempoolStatistics s = p.mempoolStatistics();
    assertEquals(0, s.liveObjects(), "live objects of " + s);
    assertEquals(p.minNr(), p.reserveLevel(), "reserve of " + s);
    assertEquals(p.minNr(), backing.live(), "objects of " + p.name() + "'s backing other than its reserve");
  }
}
