package io.github.slabkit.extent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.allocator.contract.ForwardingAllocator;
import io.github.slabkit.allocator.contract.TestAllocator;
import io.github.slabkit.mempool.Mempool;
import org.junit.jupiter.api.Test;

/**
 * The extent tree's stray statistics, tried as an outside adversary would, with a mempool whose backing
 * allocator refuses frees (the mempool's free throws when its reserve is full), on both structures, with
 * conservation checked against the mempool's own counters.
 */
class ExtentTreeStrayStatisticsTest {

  /** Delegates to a {@link TestAllocator}; while refusing, a free throws and frees nothing. */
  private static final class Refusing extends ForwardingAllocator {
    final TestAllocator a;
    volatile boolean refuse;

    Refusing(TestAllocator a) {
      super(a);
      this.a = a;
    }

    @Override
    public void free(long handle) {
      if (refuse) {
        throw new IllegalStateException("free refused on purpose");
      }
      super.free(handle);
    }
  }

  @Test
  void strayStatisticsOverAMempoolWhoseBackingRefusesFreesStayExact() {
    for (boolean bTree : new boolean[] {false, true}) {
      String kind = bTree ? "B+tree" : "rb-tree";
      long size = bTree ? ExtentTreeBuilder.NODE_SIZE : ExtentTreeBuilder.STATE_SIZE;
      Refusing backing = new Refusing(new TestAllocator("fp-refusing-" + kind, size, 100_000, 3));
      Mempool pool = Mempool.builder("fp-pool-" + kind, backing).minNr(ExtentTreeBuilder.MIN_NODE_RESERVE).build();
      ExtentTreeBuilder b = ExtentTree.builder("fp-tree-" + kind).pool(pool);
      ExtentTree tree = (bTree ? b.bTree(3, 3) : b).build();
      for (int i = 0; i < 100; i++) {
        tree.set(i * 10L, i * 10L + 4, ExtentBits.DIRTY);
      }
      backing.refuse = true;
      tree.clear(0, 10_000, ExtentBits.DIRTY);
      assertTrue(tree.isEmpty());
      ExtentTreeStatistics st = tree.statistics();
      int root = bTree ? 1 : 0; // the B+tree keeps its emptied root leaf
      assertTrue(st.strayStates() > 0, kind + ": " + st);
      assertEquals(st.strayStates(), st.refusedFrees(), kind + ": each stray refused once so far: " + st);
      assertEquals(pool.mempoolStatistics().liveObjects(), st.strayStates() + st.spareStates() + root,
          kind + ": the pool's live objects are the tree's strays and spares: " + st + " " + pool.mempoolStatistics());
      // Operations that free nothing new re-offer the strays; a refusal of a re-offer is not counted again.
      for (int i = 0; i < 5; i++) {
        tree.set(20_000, 20_004, ExtentBits.DELALLOC);
        tree.clear(20_000, 20_004, ExtentBits.DELALLOC);
      }
      ExtentTreeStatistics again = tree.statistics();
      assertEquals(st.strayStates(), again.strayStates(), kind + ": " + again);
      assertEquals(st.refusedFrees(), again.refusedFrees(), kind + ": re-offers are not counted: " + again);
      backing.refuse = false;
      tree.set(30_000, 30_004, ExtentBits.DIRTY);
      ExtentTreeStatistics healed = tree.statistics();
      assertEquals(0, healed.strayStates(), kind + ": the strays went back once the pool took frees: " + healed);
      assertEquals(st.refusedFrees(), healed.refusedFrees(), kind);
      tree.clear(30_000, 30_004, ExtentBits.DIRTY);
      tree.close();
      ExtentTreeStatistics closed = tree.statistics();
      assertEquals(0, closed.strayStates(), kind + ": " + closed);
      assertEquals(0, pool.mempoolStatistics().liveObjects(), kind + ": " + pool.mempoolStatistics());
      pool.close();
      assertEquals(0, backing.a.live(), kind + ": every object went back");
    }
  }
}
