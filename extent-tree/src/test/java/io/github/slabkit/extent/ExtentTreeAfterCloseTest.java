package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ExtentTree#close()}'s promise, method by method, on both tree kinds: every operation and query
 * throws {@link AllocatorClosedException} naming the tree ({@code stateCount}, {@code isEmpty} and
 * {@code verify} answered from the freed tree before), and the documented exceptions stay readable: the
 * name, {@code isClosed}, {@code toString}, the pools and the counters, with their final values.
 */
class ExtentTreeAfterCloseTest {

  @ParameterizedTest(name = "btree={0}")
  @ValueSource(booleans = {false, true})
  void everyOperationAndQueryThrowsAfterCloseAndTheCountersStayReadable(boolean btree) throws Exception {
    ExtentTreeBuilder b = ExtentTree.builder("after-close");
    ExtentTree tree = (btree ? b.bTree() : b).build();
    for (long i = 0; i < 100; i++) {
      tree.set(i * 10, i * 10 + 4, DIRTY);
    }
    tree.lock(2000, 2099);
    tree.unlock(2000, 2099);
    tree.clear(0, 999, DIRTY);
    ExtentTreeStatistics before = tree.statistics();
    CachedState cached = new CachedState();
    RangeResult out = new RangeResult();
    tree.close();

    Map<String, Executable> calls = new LinkedHashMap<>();
    calls.put("set", () -> tree.set(0, 1, DIRTY));
    calls.put("set(changeset, cached)", () -> tree.set(0, 1, DIRTY, null, cached));
    calls.put("clear", () -> tree.clear(0, 1, DIRTY));
    calls.put("clear(changeset, cached)", () -> tree.clear(0, 1, DIRTY, null, cached));
    calls.put("convert", () -> tree.convert(0, 1, DIRTY, 0));
    calls.put("convert(cached)", () -> tree.convert(0, 1, DIRTY, 0, cached));
    calls.put("lock", () -> tree.lock(0, 1));
    calls.put("lock(bits, cached)", () -> tree.lock(0, 1, LOCKED, cached));
    calls.put("lockForReclaim", () -> tree.lockForReclaim(0, 1, LOCKED, cached));
    calls.put("lock(holder)", () -> tree.lock(0, 1, new LockedRange()));
    calls.put("lockInterruptibly", () -> tree.lockInterruptibly(0, 1, LOCKED, cached));
    calls.put("tryLock", () -> tree.tryLock(0, 1));
    calls.put("tryLock(bits, cached)", () -> tree.tryLock(0, 1, LOCKED, cached));
    calls.put("tryLock(holder)", () -> tree.tryLock(0, 1, new LockedRange()));
    calls.put("tryLock(timeout)", () -> tree.tryLock(0, 1, LOCKED, 1, TimeUnit.SECONDS));
    calls.put("unlock", () -> tree.unlock(0, 1));
    calls.put("unlock(bits, cached)", () -> tree.unlock(0, 1, LOCKED, cached));
    calls.put("waitForClear", () -> tree.waitForClear(0, 1, LOCKED));
    calls.put("stateAt", () -> tree.stateAt(0, out));
    calls.put("bitsAt", () -> tree.bitsAt(0));
    calls.put("findFirst", () -> tree.findFirst(0, DIRTY, out));
    calls.put("findFirst(cached)", () -> tree.findFirst(0, DIRTY, out, cached));
    calls.put("findContiguous", () -> tree.findContiguous(0, DIRTY, out));
    calls.put("findDelallocRange", () -> tree.findDelallocRange(0, 100, out));
    calls.put("findFirstClear", () -> tree.findFirstClear(0, DIRTY, out));
    calls.put("rangeHasAll", () -> tree.rangeHasAll(0, 1, DIRTY));
    calls.put("rangeHasAll(cached)", () -> tree.rangeHasAll(0, 1, DIRTY, cached));
    calls.put("rangeHasAny", () -> tree.rangeHasAny(0, 1, DIRTY));
    calls.put("rangeBits", () -> tree.rangeBits(0, 1));
    calls.put("countBytes", () -> tree.countBytes(0, 100, 100, DIRTY, false));
    calls.put("forEach", () -> tree.forEach(0, 100, (s, e, bits) -> true));
    calls.put("states(range)", () -> tree.states(0, 100));
    calls.put("states", () -> tree.states());
    calls.put("stateCount", () -> tree.stateCount());
    calls.put("isEmpty", () -> tree.isEmpty());
    calls.put("verify", () -> tree.verify());
    for (Map.Entry<String, Executable> c : calls.entrySet()) {
      AllocatorClosedException e = assertThrows(AllocatorClosedException.class, c.getValue(), c.getKey());
      assertTrue(e.getMessage().contains("after-close"), c.getKey() + ": " + e.getMessage());
    }

    assertTrue(tree.isClosed());
    assertEquals("after-close", tree.name());
    assertTrue(tree.toString().contains("closed"), tree.toString());
    ExtentTreeStatistics after = tree.statistics();
    assertEquals(0, after.states(), "no states after close");
    assertEquals(0, after.spareStates(), "no spare states after close");
    assertEquals(before.lockWaits(), after.lockWaits());
    assertEquals(before.poolAllocations(), after.poolAllocations());
    assertEquals(before.memoryWaits(), tree.refills());
    assertEquals(0, tree.waiterCount());
    assertEquals(before.lockWaits(), tree.lockWaits());
    assertEquals(before.lockWakeups(), tree.lockWakeups());
    tree.close(); // idempotent
  }
}
