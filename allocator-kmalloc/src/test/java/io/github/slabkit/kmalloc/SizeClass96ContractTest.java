package io.github.slabkit.kmalloc;

/** The contract for 90-byte requests, served by {@code kmalloc-96} (natural alignment 32). */
class SizeClass96ContractTest extends SizeClassContractTest {
  @Override
  long requestSize() {
    return 90;
  }
}
