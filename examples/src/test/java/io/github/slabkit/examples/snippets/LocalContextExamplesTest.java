package io.github.slabkit.examples.snippets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Runs every allocation-context example the documentation quotes, so a quoted example cannot rot. */
class LocalContextExamplesTest {
  @Test
  void eventLoop() {
    assertEquals(999L * 1000 / 2, LocalContextExamples.eventLoop());
  }

  @Test
  void mempool() {
    assertEquals(10, LocalContextExamples.mempool());
  }

  @Test
  void wrongThread() throws InterruptedException {
    String m = LocalContextExamples.wrongThread();
    assertTrue(m.contains("allocate() on the SlabLocal of thread"), m);
  }
}
