package io.github.slabkit.slab;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.allocator.contract.ObjectAllocatorContract;
import io.github.slabkit.allocator.contract.ThroughLocal;

/** The api's allocator contract, with every allocation and free through the thread's {@link SlabLocal}. */
class SlabLocalContractTest extends ObjectAllocatorContract {
  @Override
  protected ObjectAllocator create() {
    return new ThroughLocal(
        SlabCache.builder("local-contract-a").objectSize(40).objectsPerSlab(16).magazineSize(8).build());
  }

  @Override
  protected ObjectAllocator createOther() {
    return new ThroughLocal(
        SlabCache.builder("local-contract-b").objectSize(40).objectsPerSlab(16).magazineSize(8).build());
  }
}
