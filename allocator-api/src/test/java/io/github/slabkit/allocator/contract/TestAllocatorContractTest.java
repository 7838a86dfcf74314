package io.github.slabkit.allocator.contract;

import io.github.slabkit.allocator.ObjectAllocator;

/** The contract suite run against the simple test allocator, which keeps the suite itself honest. */
class TestAllocatorContractTest extends ObjectAllocatorContract {
  @Override
  protected ObjectAllocator create() {
    return new TestAllocator("test-a", 24, 1024, 1);
  }

  @Override
  protected ObjectAllocator createOther() {
    return new TestAllocator("test-b", 24, 1024, 2);
  }
}
