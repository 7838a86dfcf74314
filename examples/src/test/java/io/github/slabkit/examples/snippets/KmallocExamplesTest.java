package io.github.slabkit.examples.snippets;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Runs every kmalloc example the documentation quotes, so a quoted example cannot rot. */
class KmallocExamplesTest {
  @Test
  void basic() {
    assertEquals("16 96 12288 42", KmallocExamples.basic());
  }

  @Test
  void arena() {
    assertEquals(6, KmallocExamples.arena());
  }

  @Test
  void mempoolOverASizeClass() {
    assertEquals(256, KmallocExamples.mempool());
  }
}
