package io.github.slabkit.jcstress.kmalloc;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.github.slabkit.kmalloc.Kmalloc;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * Claim: a kmalloc handle published through a volatile field resolves, in the reading thread, to the object
 * the writer filled, for a class object and for a large allocation (whose table is read without a lock).
 * One allocator for all samples; the arbiter frees both objects.
 */
@JCStressTest
@Outcome(id = "42, 43", expect = ACCEPTABLE, desc = "The reader saw both published objects with their contents.")
@Outcome(id = {"0, 0", "42, 0", "0, 43"}, expect = ACCEPTABLE, desc = "The reader ran before a handle was published.")
@Outcome(id = {"-1, .*", ".*, -1"}, expect = FORBIDDEN, desc = "A published handle did not resolve to a live object.")
@Outcome(expect = FORBIDDEN, desc = "The reader saw a published handle but not the bytes written before publishing it.")
@State
public class KmallocFreePublicationTest {
  private static final Kmalloc KMALLOC = Kmalloc.builder().name("jcstress-kmalloc").build();

  private volatile long small;
  private volatile long large;

  @Actor
  public void writer() {
    long s = KMALLOC.allocate(24);
    KMALLOC.memory(s).set(JAVA_LONG, KMALLOC.offset(s), 42L);
    small = s;
    long l = KMALLOC.allocate(10_000);
    KMALLOC.memory(l).set(JAVA_LONG, KMALLOC.offset(l), 43L);
    large = l;
  }

  @Actor
  public void reader(JJ_Result r) {
    r.r1 = read(small);
    r.r2 = read(large);
  }

  private static long read(long h) {
    if (h == 0) {
      return 0;
    }
    try {
      return KMALLOC.memory(h).get(JAVA_LONG, KMALLOC.offset(h));
    } catch (RuntimeException e) {
      return -1;
    }
  }

  @Arbiter
  public void arbiter(JJ_Result r) {
    KMALLOC.free(small);
    KMALLOC.free(large);
  }
}
