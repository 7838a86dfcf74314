package io.github.slabkit.examples.snippets;

import io.github.slabkit.allocator.MemoryBudget;
import io.github.slabkit.mempool.Mempool;
import io.github.slabkit.mempool.MempoolStatistics;
import io.github.slabkit.mempool.Reservation;
import io.github.slabkit.slab.SlabCache;

/** Mempool and reservation examples quoted by the documentation. */
public final class MempoolExamples {
  private MempoolExamples() {}

  /**
   * A mempool over a slab cache whose budget is full: the reserve keeps allocation going.
   *
   * @return the pool's statistics after one allocation served from the reserve
   */
  public static MempoolStatistics mempool() {
    MemoryBudget budget = MemoryBudget.ofBytes("io", 4096);
    try (SlabCache bioCache = SlabCache.builder("bio").objectSize(128).slabSize(4096).budget(budget).build()) {
      long[] all = new long[32];
      // @start region="mempool"
      // 16 bios are preallocated now (all or nothing); allocate() then never fails: it tries the slab cache
      // without waiting, then the reserve, then waits for a bio to be freed.
      try (Mempool bios = Mempool.builder("bio_pool", bioCache).minNr(16).build()) {
        int n = 0;
        long h;
        while ((h = bioCache.tryAllocate()) != 0) {
          all[n++] = h; // exhaust the budget, as memory pressure would
        }
        long bio = bios.allocate(); // the slab cache has nothing: this one comes from the reserve
        MempoolStatistics stats = bios.mempoolStatistics(); // reserveHits() == 1, reserveLevel() == 15
        bios.free(bio); // refills the reserve first
        // @end
        bioCache.freeBulk(all, n);
        return stats;
      }
    }
  }

  /**
   * One operation needing objects of two pools reserves them together.
   *
   * @return the objects the reservation still holds after two takes (1)
   */
  public static int reservation() {
    try (SlabCache stateCache = SlabCache.builder("state").objectSize(48).build();
        SlabCache bufferCache = SlabCache.builder("buffer").objectSize(256).build();
        Mempool states = Mempool.builder("states", stateCache).minNr(4).build();
        Mempool buffers = Mempool.builder("buffers", bufferCache).minNr(2).build()) {
      // @start region="reservation"
      // Two states and one buffer, all or nothing: a waiting reservation holds nothing, so two operations
      // can never each hold what the other waits for (the ABBA deadlock of per-object allocation).
      try (Reservation r = Reservation.of(states, 2).and(buffers, 1).acquire()) {
        long s1 = r.take(states); // never blocks, never fails within what was reserved
        long b = r.take(buffers);
        int left = r.remaining(states); // 1: returned to the pool by close() if not taken
        states.free(s1);
        buffers.free(b);
        return left;
      }
      // @end
    }
  }

  /**
   * A reusable reservation: no garbage per operation.
   *
   * @param operations how many operations to run
   * @return the reservation's acquisitions
   */
  public static long reusable(int operations) {
    try (SlabCache stateCache = SlabCache.builder("state").objectSize(48).build();
        SlabCache bufferCache = SlabCache.builder("buffer").objectSize(256).build();
        Mempool states = Mempool.builder("states", stateCache).minNr(4).build();
        Mempool buffers = Mempool.builder("buffers", bufferCache).minNr(2).build()) {
      // @start region="reusable"
      Reservation r = Reservation.of(states, 2).and(buffers, 1).build(); // built once, not acquired
      for (int i = 0; i < operations; i++) {
        r.reacquire(); // the same demands again; allocates no heap memory, even when it waits
        long s = r.take(states);
        states.free(s);
        r.close(); // returns the untaken state and buffer
      }
      // @end
      return r.statistics().acquisitions();
    }
  }

  /**
   * Checked mode rejects a blocking allocation while a reservation is open.
   *
   * @return the exception's message
   */
  public static String checkedMode() {
    boolean was = Reservation.checkedMode();
    try (SlabCache stateCache = SlabCache.builder("state").objectSize(48).build();
        SlabCache bufferCache = SlabCache.builder("buffer").objectSize(256).build();
        Mempool states = Mempool.builder("states", stateCache).minNr(4).build();
        Mempool buffers = Mempool.builder("buffers", bufferCache).minNr(2).build()) {
      String explanation = "not detected";
      // @start region="checked"
      Reservation.checkedMode(true); // or -Dslabkit.mempool.checked=true; tests and the demo turn it on
      try (Reservation r = Reservation.of(states, 1).acquire()) {
        long s = r.take(states);
        try {
          long b = buffers.allocate(); // hold-and-wait: throws IllegalStateException explaining why
          buffers.free(b);
        } finally {
          states.free(s);
        }
      } catch (IllegalStateException e) {
        explanation = e.getMessage(); // says what is held, what it blocks on, and what to do instead
      }
      // @end
      return String.valueOf(explanation);
    } finally {
      Reservation.checkedMode(was);
    }
  }
}
