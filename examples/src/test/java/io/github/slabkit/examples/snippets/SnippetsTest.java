package io.github.slabkit.examples.snippets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.slabkit.extent.Extent;
import io.github.slabkit.extent.ExtentBits;
import io.github.slabkit.mempool.MempoolStatistics;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs every example the documentation quotes, so a quoted example cannot rot. */
class SnippetsTest {
  @Test
  void slabCacheBasic() {
    assertEquals(4096L, SlabCacheExamples.basic());
  }

  @Test
  void readmeQuickStartRuns() {
    assertTrue(SlabCacheExamples.readmeQuickStart().contains("\nnodes "));
  }

  @Test
  void slabCacheBulk() {
    assertEquals(64, SlabCacheExamples.bulk());
  }

  @Test
  void sheafGuaranteesItsObjects() {
    assertEquals(1, SlabCacheExamples.sheaf());
  }

  @Test
  void slabinfoTable() {
    String t = SlabCacheExamples.slabinfo();
    assertTrue(t.startsWith("slabinfo - version: 2.1\n"), t);
    assertTrue(t.contains("\nnodes "), t);
    assertTrue(t.endsWith("live=1"), t);
  }

  @Test
  void blockingModesUnderAFullBudget() throws InterruptedException {
    assertEquals("0 0 AllocationFailedException", BudgetExamples.blockingModes());
  }

  @Test
  void allocateReclaimsFromOtherCaches() {
    assertTrue(BudgetExamples.reclaim());
  }

  @Test
  void mempoolServesFromItsReserve() {
    MempoolStatistics s = MempoolExamples.mempool();
    assertEquals(1, s.reserveHits(), s.toString());
    assertEquals(15, s.reserveLevel(), s.toString());
  }

  @Test
  void reservationTakesWithinWhatWasReserved() {
    assertEquals(1, MempoolExamples.reservation());
  }

  @Test
  void reusableReservation() {
    assertEquals(100, MempoolExamples.reusable(100));
  }

  @Test
  void checkedModeRejectsHoldAndWait() {
    String m = MempoolExamples.checkedMode();
    assertTrue(m.contains("hold-and-wait"), m);
  }

  @Test
  void extentTreeWriteback() {
    assertEquals(
        List.of(new Extent(8192, 12287, ExtentBits.DELALLOC | ExtentBits.DIRTY)), ExtentTreeExamples.writeback());
  }

  @Test
  void extentTreeChangesetAndHooks() {
    assertArrayEquals(new long[] {8192, 8192}, ExtentTreeExamples.changesetAndHooks());
  }

  @Test
  void extentTreesSharingAPool() {
    assertEquals(64, ExtentTreeExamples.sharedPool());
  }

  @Test
  void redZoneCatchesAnOverrun() {
    String m = DebugExamples.redZone();
    assertTrue(m.startsWith("BUG debugged:"), m);
  }

  @Test
  void leakCheckReportsLiveObjects() {
    String m = DebugExamples.leak();
    assertTrue(m.contains("BUG leaky:"), m);
  }

  @Test
  void theSampledLeakSiteStartsAtTheCaller() {
    String top = DebugExamples.sampledLeak();
    assertTrue(top.contains("DebugExamples.sampledLeak("), top);
  }

  @Test
  void flyweightReadsWhatItWrote() {
    assertEquals(100 * 4096L, FlyweightExamples.flyweight());
  }

  @Test
  void jmxLookupByTheDocumentedUnquotedName() throws Exception {
    String r = JmxExamples.lookup();
    // 5 active objects in the cache (the pool's reserve of 4 + the 1 handed out), the reserve still full
    assertTrue(r.startsWith("5 4 "), r);
    assertTrue(r.contains("io.github.slabkit:type=SlabCache,name=extent_state]"), r);
    assertTrue(r.contains("io.github.slabkit:type=Mempool,name=extent_state_pool"), r);
  }

  @Test
  void jmxQuotesNamesThatNeedIt() {
    assertEquals("io.github.slabkit:type=SlabCache,name=\"tenant=a,b\"", JmxExamples.quotedName());
  }
}
