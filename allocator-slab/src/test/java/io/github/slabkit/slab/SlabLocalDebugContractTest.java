package io.github.slabkit.slab;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.allocator.contract.ObjectAllocatorContract;
import io.github.slabkit.allocator.contract.ThroughLocal;

/** The api's allocator contract, with every allocation and free through the thread's {@link SlabLocal}, in debug mode. */
class SlabLocalDebugContractTest extends ObjectAllocatorContract {
  @Override
  protected ObjectAllocator create() {
    return new ThroughLocal(
        SlabCache.builder("local-debug-contract-a").objectSize(40).debug(SlabDebug.of("FZPU").throwOnReport(true)).objectsPerSlab(16).magazineSize(8).build());
  }

  @Override
  protected ObjectAllocator createOther() {
    return new ThroughLocal(
        SlabCache.builder("local-debug-contract-b").objectSize(40).debug(SlabDebug.of("FZPU").throwOnReport(true)).objectsPerSlab(16).magazineSize(8).build());
  }
}
