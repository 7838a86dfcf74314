package io.github.slabkit.allocator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link MemoryBudget#reclaim} with a shrinker that throws: the others are still asked, the exception is
 * kept and counted, and an {@link AllocationFailedException} built for the budget carries it as suppressed.
 */
class MemoryBudgetShrinkerFailureTest {
  @Test
  void aThrowingShrinkerIsSkippedKeptAndCounted() {
    MemoryBudget budget = MemoryBudget.ofBytes("reclaim-throws", 100);
    assertTrue(budget.tryCharge(100));
    List<String> asked = new ArrayList<>();
    RuntimeException boom = new UnsupportedOperationException("broken shrinker");
    MemoryBudget.Registration bad =
        budget.register(
            w -> {
              asked.add("bad");
              throw boom;
            });
    budget.register(
        w -> {
          asked.add("good");
          budget.credit(40);
          return 40;
        });
    assertEquals(40, budget.reclaim(50), "the throwing shrinker's share counts as 0");
    assertEquals(List.of("bad", "good"), asked);
    assertSame(boom, budget.lastShrinkerFailure());
    assertEquals(1, budget.shrinkerFailures());

    AllocationFailedException e =
        new AllocationFailedException("some-cache", "1 object", 64, budget, "free something");
    assertEquals(List.of(boom), List.of(e.getSuppressed()));
    assertTrue(e.getMessage().contains("a shrinker of the budget threw"), e.getMessage());

    bad.close();
    budget.reclaim(100);
    assertNull(budget.lastShrinkerFailure(), "a reclaim without failures clears it");
    assertEquals(1, budget.shrinkerFailures(), "the count stays");
    AllocationFailedException clean =
        new AllocationFailedException("some-cache", "1 object", 64, budget, "free something");
    assertEquals(0, clean.getSuppressed().length);
    assertTrue(!clean.getMessage().contains("shrinker"), clean.getMessage());
  }

  @Test
  void anErrorFromAShrinkerPropagates() {
    MemoryBudget budget = MemoryBudget.ofBytes("reclaim-error", 100);
    assertTrue(budget.tryCharge(100));
    budget.register(
        w -> {
          throw new AssertionError("an Error is not swallowed");
        });
    assertThrows(AssertionError.class, () -> budget.reclaim(10));
  }
}
