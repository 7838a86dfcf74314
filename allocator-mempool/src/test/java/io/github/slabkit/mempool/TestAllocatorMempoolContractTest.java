package io.github.slabkit.mempool;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.allocator.contract.ObjectAllocatorContract;
import io.github.slabkit.allocator.contract.TestAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The api's contract suite for a mempool over the test allocator, in checked mode. {@code minNr} is 64
 * because the suite bulk-allocates up to 60 objects at once and a mempool's {@code allocateBulk} accepts at
 * most {@code minNr} (a larger all-or-nothing demand could wait forever).
 */
class TestAllocatorMempoolContractTest extends ObjectAllocatorContract {
  private static final List<TestAllocator> BACKINGS = new ArrayList<>();

  @BeforeEach
  void checkedOn() {
    Reservation.checkedMode(true);
  }

  @AfterEach
  void checkedOff() {
    Reservation.checkedMode(false);
  }

  @AfterAll
  static void closeBackings() {
    for (TestAllocator b : BACKINGS) {
      b.close();
    }
    BACKINGS.clear();
  }

  private static Mempool pool(String name, long seed) {
    TestAllocator backing = new TestAllocator(name + "-slab", 24, 1024, seed);
    BACKINGS.add(backing);
    return Mempool.builder(name, backing).minNr(64).waitTimeout(Duration.ofMillis(50)).build();
  }

  @Override
  protected ObjectAllocator create() {
    return pool("pool-a", 1);
  }

  @Override
  protected ObjectAllocator createOther() {
    return pool("pool-b", 2);
  }
}
