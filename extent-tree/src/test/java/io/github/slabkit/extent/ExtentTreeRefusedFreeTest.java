package io.github.slabkit.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.ForwardingAllocator;
import io.github.slabkit.allocator.contract.TestAllocator;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * A state pool whose {@code free} throws (a misbehaving allocator): the tree's promise is that set and clear
 * never fail, so an operation neither fails for it nor stops half-way through a change of the tree; the
 * refused state is kept, offered again at every later operation, and reported at close if the pool still
 * refuses it. Nothing is lost: once the pool takes frees again, every state goes back.
 */
class ExtentTreeRefusedFreeTest {

  /** Delegates to a {@link TestAllocator}; while refusing, a free throws and frees nothing. */
  private static final class RefusingAllocator extends ForwardingAllocator {
    final TestAllocator a;
    private @Nullable Random random; // guarded by this
    private boolean always; // guarded by this
    long refusals; // guarded by this

    RefusingAllocator(TestAllocator a) {
      super(a);
      this.a = a;
    }

    /** Every free throws with probability 1/4 (seeded), until {@link #accept()}. */
    synchronized void refuseRandomly(long seed) {
      random = new Random(seed);
    }

    synchronized void refuseAll() {
      always = true;
    }

    synchronized void accept() {
      random = null;
      always = false;
    }

    @Override
    public void free(long handle) {
      synchronized (this) {
        Random r = random;
        if (always || (r != null && r.nextInt(4) == 0)) {
          refusals++;
          throw new IllegalStateException("free refused on purpose");
        }
      }
      super.free(handle);
    }
  }

  private static RefusingAllocator allocator(boolean bTree) {
    long size = bTree ? ExtentTreeBuilder.NODE_SIZE : ExtentTreeBuilder.STATE_SIZE;
    return new RefusingAllocator(new TestAllocator("refusing", size, 100_000, 7));
  }

  private static ExtentTree tree(RefusingAllocator a, boolean bTree) {
    ExtentTreeBuilder b = ExtentTree.builder("refused-free").allocator(a);
    return (bTree ? b.bTree(3, 3) : b).build();
  }

  @Test
  void operationsNeverFailForARefusedFreeAndMatchTheModel() {
    for (boolean bTree : new boolean[] {false, true}) {
      RefusingAllocator a = allocator(bTree);
      ExtentTree tree = tree(a, bTree);
      int[] model = new int[600];
      Random rnd = new Random(11);
      int[] bits = {ExtentBits.DIRTY, ExtentBits.DELALLOC, ExtentBits.DEFRAG, ExtentBits.DIRTY | ExtentBits.DEFRAG};
      a.refuseRandomly(3);
      for (int i = 0; i < 4000; i++) {
        int start = rnd.nextInt(500);
        int end = start + rnd.nextInt(60);
        int bit = bits[rnd.nextInt(bits.length)];
        switch (rnd.nextInt(4)) {
          case 0, 1 -> {
            tree.set(start, end, bit);
            for (int x = start; x <= end; x++) {
              model[x] |= bit;
            }
          }
          case 2 -> {
            tree.clear(start, end, bit);
            for (int x = start; x <= end; x++) {
              model[x] &= ~bit;
            }
          }
          default -> {
            tree.lock(start, end); // a lock over holes allocates; its unlock frees
            tree.unlock(start, end);
          }
        }
        if (i % 97 == 0) {
          tree.verify();
          for (int x = 0; x < model.length; x++) {
            assertEquals(model[x], tree.bitsAt(x), (bTree ? "B+tree" : "rb-tree") + ": byte " + x + " after op " + i);
          }
        }
      }
      String kind = bTree ? "B+tree" : "rb-tree";
      ExtentTreeStatistics refusing = tree.statistics();
      synchronized (a) {
        assertTrue(a.refusals > 10, kind + ": the pool must have refused frees, refused " + a.refusals);
        assertTrue(refusing.refusedFrees() > 0 && refusing.refusedFrees() <= a.refusals,
            kind + ": the statistics count the states refused (" + refusing.refusedFrees() + "), at most every"
                + " refusal (" + a.refusals + ")");
      }
      a.accept();
      tree.clear(0, Long.MAX_VALUE, ExtentBits.CLEAR_ALL_BITS); // also offers the kept states again
      tree.verify();
      assertEquals(0, tree.statistics().strayStates(), kind + ": the pool took every stray back");
      assertEquals(refusing.refusedFrees(), tree.statistics().refusedFrees(), kind + ": no new refusal");
      tree.close();
      assertEquals(0, a.a.live(), kind + ": every state goes back once the pool takes frees again");
    }
  }

  @Test
  void closeReportsTheStatesThePoolStillRefusesAndStillCloses() {
    for (boolean bTree : new boolean[] {false, true}) {
      RefusingAllocator a = allocator(bTree);
      ExtentTree tree = tree(a, bTree);
      for (int i = 0; i < 50; i++) {
        tree.set(i * 10L, i * 10L + 4, ExtentBits.DIRTY);
      }
      a.refuseAll();
      tree.clear(0, 1000, ExtentBits.DIRTY); // frees every state; none fails
      assertTrue(tree.isEmpty());
      ExtentTreeStatistics st = tree.statistics();
      assertTrue(st.strayStates() > 0, "the refused states are strays: " + st);
      // The B+tree keeps its emptied root leaf (a node from the same pool) until close.
      assertEquals(a.a.live() - (bTree ? 1 : 0), st.strayStates() + st.spareStates(),
          "every state still allocated in the pool is a stray or a spare: " + st);
      IllegalStateException e = assertThrows(IllegalStateException.class, tree::close);
      String kind = bTree ? "B+tree" : "rb-tree";
      assertTrue(tree.isClosed(), kind + ": the tree closes even so");
      assertTrue(e.getMessage().contains("refused to take back"), e.getMessage());
      assertTrue(e.getMessage().contains("refused-free"), "the message names the tree: " + e.getMessage());
      Throwable cause = e.getCause();
      assertNotNull(cause, "the first refusal is the cause");
      assertEquals("free refused on purpose", cause.getMessage());
      long kept = a.a.live();
      assertTrue(kept > 0, kind + ": the refused states are still allocated in the pool, not freed twice");
      assertTrue(e.getMessage().contains(" " + kept + " extent state(s)"),
          kind + ": the message counts exactly the states still allocated (" + kept + "): " + e.getMessage());
      assertSame(e.getClass(), IllegalStateException.class);
      assertFalse(e.getMessage().isBlank());
    }
  }
}
