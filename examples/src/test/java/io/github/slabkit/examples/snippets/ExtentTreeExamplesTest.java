package io.github.slabkit.examples.snippets;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.slabkit.extent.Extent;
import io.github.slabkit.extent.ExtentBits;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the extent-tree examples the documentation quotes and checks what their comments claim. */
class ExtentTreeExamplesTest {
  @Test
  void lockedRangeUnlocksOnClose() {
    assertEquals(List.of(new Extent(0, 8191, ExtentBits.DIRTY)), ExtentTreeExamples.lockedRange());
  }
}
