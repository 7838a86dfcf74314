package io.github.slabkit.mempool;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.allocator.contract.ObjectAllocatorContract;
import io.github.slabkit.allocator.contract.ThroughLocal;
import io.github.slabkit.slab.SlabCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The api's contract suite through {@link MempoolLocal} contexts, for a mempool over a slab cache (small
 * slabs, so slab growth happens under the
 * pool), in checked mode. {@code minNr} is 64 because the suite bulk-allocates up to 60 objects at once.
 */
class MempoolLocalContractTest extends ObjectAllocatorContract {
  private static final List<SlabCache> CACHES = new ArrayList<>();

  @BeforeEach
  void checkedOn() {
    Reservation.checkedMode(true);
  }

  @AfterEach
  void checkedOff() {
    Reservation.checkedMode(false);
  }

  @AfterAll
  static void closeCaches() {
    for (SlabCache c : CACHES) {
      c.close();
    }
    CACHES.clear();
  }

  private static Mempool pool(String name) {
    SlabCache cache = SlabCache.builder(name + "-cache").objectSize(40).objectsPerSlab(16).magazineSize(8).build();
    CACHES.add(cache);
    return Mempool.builder(name, cache).minNr(64).waitTimeout(Duration.ofMillis(50)).build();
  }

  @Override
  protected ObjectAllocator create() {
    return new ThroughLocal(pool("local-pool-a"));
  }

  @Override
  protected ObjectAllocator createOther() {
    return new ThroughLocal(pool("local-pool-b"));
  }
}
