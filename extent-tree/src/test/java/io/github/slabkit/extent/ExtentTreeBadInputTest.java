package io.github.slabkit.extent;

import static io.github.slabkit.extent.ExtentBits.CLEAR_ALL_BITS;
import static io.github.slabkit.extent.ExtentBits.CLEAR_META_RESV;
import static io.github.slabkit.extent.ExtentBits.DEFRAG;
import static io.github.slabkit.extent.ExtentBits.DIRTY;
import static io.github.slabkit.extent.ExtentBits.LOCKED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.AllocatorClosedException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input gets a clear exception and leaves the tree as it was. */
class ExtentTreeBadInputTest {
  /** The builder of every tree of this test; B+tree subclasses override it. */
  ExtentTreeBuilder builder(String name) {
    return ExtentTree.builder(name);
  }

  private static final int UNDEFINED = 1 << 20;
  private final ExtentTree tree = builder("bad-input").build();
  private List<Extent> before = List.of();

  @BeforeEach
  void fill() {
    tree.set(0, 99, DIRTY);
    tree.lock(200, 299);
    tree.set(250, 349, DEFRAG);
    before = tree.states();
  }

  @AfterEach
  void closeTree() {
    tree.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    tree.close();
  }

  private <T extends Throwable> T refused(Class<T> type, Executable call, String... fragments) {
    T e = assertThrows(type, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
    assertEquals(before, tree.states(), "tree changed by a refused call");
    tree.verify();
    return e;
  }

  @Test
  void startAfterEnd() {
    refused(IllegalArgumentException.class, () -> tree.set(10, 9, DIRTY), "bad-input", "start 10 > end 9");
    refused(IllegalArgumentException.class, () -> tree.clear(10, 9, DIRTY), "start 10 > end 9");
    refused(IllegalArgumentException.class, () -> tree.lock(10, 9), "start 10 > end 9");
    refused(IllegalArgumentException.class, () -> tree.tryLock(10, 9), "start 10 > end 9");
    refused(IllegalArgumentException.class, () -> tree.unlock(10, 9), "start 10 > end 9");
    refused(IllegalArgumentException.class, () -> tree.convert(10, 9, DIRTY, DEFRAG), "start 10 > end 9");
    refused(IllegalArgumentException.class, () -> tree.rangeHasAll(10, 9, DIRTY), "start 10 > end 9");
    refused(IllegalArgumentException.class, () -> tree.countBytes(10, 9, 1, DIRTY, false), "start 10 > end 9");
  }

  @Test
  void negativeOffsets() {
    refused(IllegalArgumentException.class, () -> tree.set(-1, 9, DIRTY), "start -1 is negative");
    refused(IllegalArgumentException.class, () -> tree.clear(-5, -1, DIRTY), "negative");
    refused(IllegalArgumentException.class, () -> tree.lock(-1, 0), "negative");
    refused(IllegalArgumentException.class, () -> tree.bitsAt(-1), "offset -1 is negative");
    refused(IllegalArgumentException.class, () -> tree.stateAt(-1, new RangeResult()), "negative");
    refused(IllegalArgumentException.class, () -> tree.findFirst(-1, DIRTY, new RangeResult()), "negative");
    refused(IllegalArgumentException.class, () -> tree.findFirstClear(-1, DIRTY, new RangeResult()), "negative");
  }

  @Test
  void undefinedBits() {
    refused(IllegalArgumentException.class, () -> tree.set(0, 9, DIRTY | UNDEFINED), "undefined bits 0x100000");
    refused(IllegalArgumentException.class, () -> tree.clear(0, 9, UNDEFINED), "undefined bits");
    refused(IllegalArgumentException.class, () -> tree.lock(0, 9, LOCKED | UNDEFINED, null), "undefined bits");
    refused(IllegalArgumentException.class, () -> tree.convert(0, 9, DIRTY, UNDEFINED), "undefined bits");
    refused(IllegalArgumentException.class, () -> tree.findFirst(0, UNDEFINED, new RangeResult()), "undefined");
  }

  @Test
  void bitsNotAllowedForTheOperation() {
    refused(IllegalArgumentException.class, () -> tree.set(0, 9, LOCKED), "lock bits LOCKED are set by lock()");
    refused(IllegalArgumentException.class, () -> tree.set(0, 9, CLEAR_ALL_BITS), "CLEAR_ALL_BITS");
    refused(IllegalArgumentException.class, () -> tree.set(0, 9, CLEAR_META_RESV), "no storable bit");
    refused(IllegalArgumentException.class, () -> tree.set(0, 9, 0), "no storable bit");
    refused(IllegalArgumentException.class, () -> tree.lock(0, 9, DIRTY, null), "no lock bit in DIRTY");
    refused(IllegalArgumentException.class, () -> tree.unlock(0, 9, DIRTY, null), "no lock bit");
    refused(IllegalArgumentException.class, () -> tree.convert(0, 9, LOCKED, 0), "lock bits");
    refused(IllegalArgumentException.class, () -> tree.convert(0, 9, DIRTY, DIRTY), "overlap: DIRTY");
    refused(IllegalArgumentException.class, () -> tree.rangeHasAll(0, 9, 0), "no state bit");
  }

  /**
   * Control bits are never stored and 0 names no bit, so a query for them could only answer "none": a
   * {@code rangeHasAll} or {@code countBytes} with a control bit beside a stored one would say false or 0
   * however the stored bit is set. Every query refuses them instead.
   */
  @Test
  void queriesRefuseBitsThatAreNeverStored() {
    RangeResult out = new RangeResult();
    refused(IllegalArgumentException.class, () -> tree.rangeHasAll(0, 9, DIRTY | CLEAR_META_RESV, null),
        "rangeHasAll", "control bits CLEAR_META_RESV are never stored");
    refused(IllegalArgumentException.class, () -> tree.countBytes(0, 99, -1, DIRTY | CLEAR_ALL_BITS, false),
        "countBytes", "control bits CLEAR_ALL_BITS");
    refused(IllegalArgumentException.class, () -> tree.rangeHasAny(0, 9, DIRTY | CLEAR_META_RESV), "rangeHasAny");
    refused(IllegalArgumentException.class, () -> tree.findFirst(0, 0, out), "findFirst", "no state bit in 0");
    refused(IllegalArgumentException.class, () -> tree.findFirst(0, CLEAR_META_RESV, out), "findFirst");
    refused(IllegalArgumentException.class, () -> tree.findContiguous(0, 0, out), "findContiguous");
    refused(IllegalArgumentException.class, () -> tree.findFirstClear(0, 0, out), "findFirstClear", "no state bit");
    refused(IllegalArgumentException.class, () -> tree.findFirstClear(0, DIRTY | CLEAR_ALL_BITS, out),
        "findFirstClear");
    assertTrue(tree.rangeHasAll(0, 9, DIRTY));
    assertEquals(100, tree.countBytes(0, 99, -1, DIRTY, false));
  }

  @Test
  void unlockOfARangeNotLocked() {
    refused(IllegalStateException.class, () -> tree.unlock(0, 9), "unlock of [0, 9] LOCKED", "not locked from offset 0");
    refused(IllegalStateException.class, () -> tree.unlock(250, 300), "not locked from offset 300");
    refused(IllegalStateException.class, () -> tree.unlock(150, 250), "not locked from offset 150");
    refused(IllegalStateException.class, () -> tree.unlock(200, 299, ExtentBits.DIO_LOCKED, null), "DIO_LOCKED");
  }

  @Test
  void closeWithLockedRangesRefusesAndNamesThem() {
    IllegalStateException e =
        refused(IllegalStateException.class, tree::close, "cannot close", "2 locked state(s)", "[200, 249] LOCKED, [250, 299] LOCKED|DEFRAG");
    assertTrue(e.getMessage().contains("0 lock waiter(s)"), e.getMessage());
    assertTrue(!tree.isClosed());
  }

  @Test
  void useAfterClose() {
    ExtentTree t = builder("closed").build();
    t.close();
    AllocatorClosedException e = assertThrows(AllocatorClosedException.class, () -> t.set(0, 1, DIRTY));
    assertTrue(e.getMessage().startsWith("closed: an operation on the extent tree after close()"), e.getMessage());
    assertTrue(e.getMessage().contains("build a new one"), e.getMessage());
    assertThrows(AllocatorClosedException.class, () -> t.bitsAt(0));
    assertThrows(AllocatorClosedException.class, () -> t.lock(0, 1));
    assertThrows(AllocatorClosedException.class, () -> t.stateAt(0, new RangeResult()));
  }

  /** A hook runs under the tree lock; a query from it is refused (an optimistic B+tree query too). */
  @Test
  void hookMustNotCallIntoTheTree() {
    AtomicReference<@Nullable ExtentTree> self = new AtomicReference<>();
    ExtentHooks hooks = new ExtentHooks() {
      @Override
      public void onSet(long start, long end, int oldBits, int bits) {
        ExtentTree t = self.get();
        if (t != null) {
          t.bitsAt(1_000_000); // a part of the tree the running set does not touch
        }
      }
    };
    try (ExtentTree t = builder("hooked").hooks(hooks).build()) {
      for (int i = 0; i < 64; i++) {
        t.set(10L * i, 10L * i + 4, DEFRAG); // several leaves in a B+tree of tiny nodes
      }
      t.set(2_000_000, 2_000_000, DEFRAG);
      self.set(t);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.set(0, 0, DIRTY));
      assertTrue(e.getMessage().contains("must not call into"), e.getMessage());
      self.set(null);
      t.clear(0, Long.MAX_VALUE, CLEAR_ALL_BITS);
    }
  }

  @Test
  void visitorMustNotCallIntoTheTree() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> tree.forEach(0, 10, (s, x, b) -> tree.bitsAt(0) == 0));
    assertTrue(e.getMessage().contains("must not call into"), e.getMessage());
  }
}
