package io.github.slabkit.slab;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.allocator.contract.ObjectAllocatorContract;

/** The allocator contract holds with every debug check on (the checked paths are a different code path). */
class SlabCacheDebugContractTest extends ObjectAllocatorContract {
  @Override
  protected ObjectAllocator create() {
    return SlabCache.builder("debug-a").objectSize(40).objectsPerSlab(16)
        .debug(SlabDebug.of("FZPU").throwOnReport(true)).build();
  }

  @Override
  protected ObjectAllocator createOther() {
    return SlabCache.builder("debug-b").objectSize(40).objectsPerSlab(16)
        .debug(SlabDebug.of("FZPU").throwOnReport(true)).build();
  }
}
