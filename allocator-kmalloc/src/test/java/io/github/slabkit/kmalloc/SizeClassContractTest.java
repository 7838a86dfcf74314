package io.github.slabkit.kmalloc;

import io.github.slabkit.allocator.ObjectAllocator;
import io.github.slabkit.allocator.contract.ObjectAllocatorContract;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * The api's allocator contract, adapted to sizes: run against a size-class view ({@link Kmalloc#sizeClass})
 * of 40-byte requests, served by {@code kmalloc-64}. The "other" allocator is the same class of a second
 * {@code Kmalloc}, whose handles the first must refuse.
 */
class SizeClassContractTest extends ObjectAllocatorContract {
  private static final List<Kmalloc> ALLOCATORS = new ArrayList<>();

  /** The request size of the views; subclasses run the contract for other classes. */
  long requestSize() {
    return 40;
  }

  /** Builder options of the allocators; subclasses add debug options. */
  KmallocBuilder options() {
    return Kmalloc.builder();
  }

  @AfterAll
  static void closeAllocators() {
    for (Kmalloc k : ALLOCATORS) {
      k.close();
    }
    ALLOCATORS.clear();
  }

  private ObjectAllocator view(String name) {
    Kmalloc k = options().name(name).throwOnLeak(true).build();
    ALLOCATORS.add(k);
    return k.sizeClass(requestSize());
  }

  @Override
  protected ObjectAllocator create() {
    return view("contract-a");
  }

  @Override
  protected ObjectAllocator createOther() {
    return view("contract-b");
  }
}
