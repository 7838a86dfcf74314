package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.DELALLOC;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;

/**
 * The hot paths allocate no heap objects: set, clear, convert, lock, unlock and the queries with reusable
 * result holders, changesets, hints and range-lock holders. Checked with the thread's allocation counter (a count of bytes,
 * not a time).
 */
class ExtentTreeGarbageTest {
  /** The builder of every tree of this test; B+tree subclasses override it. */
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name);
  }

  @Test
  void hotPathsAllocateNothing() throws ReflectiveOperationException {
    // com.sun.management through reflection: the test runs inside the module, which does not read it.
    Object mx = ManagementFactory.getThreadMXBean();
    Method allocatedBytes =
        Class.forName("com.sun.management.ThreadMXBean").getMethod("getThreadAllocatedBytes", long.class);
    try (ExtentTree tree = builder("garbage").build()) {
      RangeResult out = new RangeResult();
      CachedState hint = new CachedState();
      ExtentChangeset cs = new ExtentChangeset(64);
      ExtentVisitor visitor = (s, e, b) -> true;
      long[] sink = new long[1];
      LockedRange held = new LockedRange();
      Runnable round =
          () -> {
            for (int i = 0; i < 2_000; i++) {
              long base = (i % 500) * 8192L;
              cs.reset();
              tree.set(base, base + 4095, DIRTY, cs, hint);
              tree.set(base + 1024, base + 2047, DELALLOC);
              tree.convert(base, base + 511, DELALLOC, DIRTY);
              tree.lock(base + 100, base + 199, ExtentBits.LOCKED, hint);
              sink[0] += tree.bitsAt(base + 150);
              tree.unlock(base + 100, base + 199, ExtentBits.LOCKED, hint);
              sink[0] += tree.stateAt(base + 10, out) ? out.start() : 0;
              sink[0] += tree.findFirst(base, DELALLOC, out) ? out.end() : 0;
              sink[0] += tree.findFirstClear(base, DIRTY, out) ? out.end() : 0;
              sink[0] += tree.countBytes(base, base + 8191, Long.MAX_VALUE, DIRTY, false);
              sink[0] += tree.rangeHasAll(base, base + 99, DIRTY) ? 1 : 0;
              sink[0] += tree.forEach(base, base + 8191, visitor);
              try (LockedRange r = tree.lock(base + 300, base + 399, held)) {
                sink[0] += r.end();
              }
              tree.waitForClear(base + 300, base + 399, ExtentBits.LOCKED);
              if (tree.tryLock(base, base + 10)) {
                tree.unlock(base, base + 10);
              }
              tree.clear(base, base + 8191, DIRTY | DELALLOC, cs, hint);
            }
          };
      for (int w = 0; w < 10; w++) {
        round.run(); // warm up: thread-local contexts, magazines, JIT
      }
      long before = (long) allocatedBytes.invoke(mx, Thread.currentThread().threadId());
      round.run();
      long allocated = (long) allocatedBytes.invoke(mx, Thread.currentThread().threadId()) - before;
      assertTrue(allocated < 4096, "2000 rounds of operations allocated " + allocated + " bytes (" + sink[0] + ")");
    }
  }
}
