package io.github.slabkit.kmalloc;

import io.github.slabkit.slab.SlabDebug;

/** The contract with every class cache in debug mode FZP: exact double-free detection, red zones, poison. */
class DebuggedSizeClassContractTest extends SizeClassContractTest {
  @Override
  KmallocBuilder options() {
    return Kmalloc.builder().debug(SlabDebug.of("FZP").throwOnReport(true));
  }
}
