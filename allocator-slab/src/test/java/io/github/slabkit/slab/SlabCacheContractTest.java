package io.github.slabkit.slab;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.allocator.contract.ObjectAllocatorContract;

/** The api's allocator contract, run against the slab cache with small slabs so slab growth is exercised. */
class SlabCacheContractTest extends ObjectAllocatorContract {
  @Override
  protected ObjectAllocator create() {
    return SlabCache.builder("contract-a").objectSize(40).objectsPerSlab(16).magazineSize(8).build();
  }

  @Override
  protected ObjectAllocator createOther() {
    return SlabCache.builder("contract-b").objectSize(40).objectsPerSlab(16).magazineSize(8).build();
  }
}
