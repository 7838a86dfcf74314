package io.github.slabkit.jcstress.kmalloc;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.kmalloc.internal.HandleCodec;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Claim: if two first handles of one size class had different top bits (a slab handle encoding that kmalloc
 * cannot represent), exactly one encoding succeeds and the other fails loudly; never both, which would give
 * one of them a handle that decodes to another object.
 */
@JCStressTest
@Outcome(id = {"1, -1", "-1, 1"}, expect = ACCEPTABLE, desc = "One thread learned its top bits, the other's handle was refused.")
@Outcome(id = "1, 1", expect = FORBIDDEN, desc = "Both encoded: one handle decodes to the wrong object.")
@Outcome(id = "-1, -1", expect = FORBIDDEN, desc = "Both refused: nothing was learned.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class KmallocEncodingMismatchTest {
  private static final long SLAB_A = (0x1234L << 48) | 17;
  private static final long SLAB_B = (0x5634L << 48) | 42;

  private final HandleCodec codec = new HandleCodec(1);

  private int encode(long slab) {
    try {
      codec.encode(0, slab, "kmalloc-8");
      return 1;
    } catch (IllegalStateException e) {
      return -1;
    }
  }

  @Actor
  public void actor1(II_Result r) {
    r.r1 = encode(SLAB_A);
  }

  @Actor
  public void actor2(II_Result r) {
    r.r2 = encode(SLAB_B);
  }
}
