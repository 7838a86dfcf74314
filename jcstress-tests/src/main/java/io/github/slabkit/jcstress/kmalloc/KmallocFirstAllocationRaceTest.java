package io.github.slabkit.jcstress.kmalloc;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.kmalloc.internal.HandleCodec;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Claim: when two threads encode the first handles of a size class at the same time, the class's top bits
 * are learned once, and every handle decodes back to the slab handle it was made from, in the encoding
 * thread and in any other thread (the arbiter).
 *
 * <p>This drives kmalloc's handle codec directly (its package is not exported; the jcstress jar runs on the
 * class path) with two slab handles of one cache: the same top bits, different slots, as allocator-slab
 * issues them today. A fresh codec per sample, so every sample races the learning compare-and-set.
 */
@JCStressTest
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "Both handles decode to their objects everywhere.")
@Outcome(id = {"0, .*", ".*, 0, .*", ".*, 0"}, expect = FORBIDDEN, desc = "A handle decoded to another object: the learned top bits were wrong or not visible.")
@Outcome(id = {"-1, .*", ".*, -1, .*"}, expect = FORBIDDEN, desc = "An encoding threw although both handles have the same top bits.")
@Outcome(expect = FORBIDDEN, desc = "Any other outcome is a harness or test bug.")
@State
public class KmallocFirstAllocationRaceTest {
  private static final long TOP = 0x1234L << 48;
  private static final long SLAB_A = TOP | (3L << 24) | 17;
  private static final long SLAB_B = TOP | (5L << 24) | 42;

  private final HandleCodec codec = new HandleCodec(4);
  private long a;
  private long b;

  private static int roundTrip(HandleCodec codec, long encoded, long slab) {
    return codec.slabHandle(2, encoded) == slab ? 1 : 0;
  }

  @Actor
  public void actor1(III_Result r) {
    try {
      a = codec.encode(2, SLAB_A, "kmalloc-32");
      r.r1 = roundTrip(codec, a, SLAB_A);
    } catch (IllegalStateException e) {
      r.r1 = -1;
    }
  }

  @Actor
  public void actor2(III_Result r) {
    try {
      b = codec.encode(2, SLAB_B, "kmalloc-32");
      r.r2 = roundTrip(codec, b, SLAB_B);
    } catch (IllegalStateException e) {
      r.r2 = -1;
    }
  }

  /** Runs after both actors (happens-after them): both handles must decode here too. */
  @Arbiter
  public void arbiter(III_Result r) {
    r.r3 = a != 0 && b != 0 && roundTrip(codec, a, SLAB_A) == 1 && roundTrip(codec, b, SLAB_B) == 1 ? 1 : 0;
  }
}
