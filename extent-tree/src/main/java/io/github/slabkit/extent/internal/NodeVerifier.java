package io.github.slabkit.extent.internal;

import static io.github.slabkit.extent.ExtentBits.NO_MERGE_BITS;

import org.jspecify.annotations.Nullable;

/**
 * The structural check of a {@link NodeTree}, for tests: node counts, uniform depth, separator keys, the
 * leaf chain in both directions, and the btrfs invariants of the states. O(n); under the tree lock.
 */
final class NodeVerifier {
  private final NodeTree t;
  private final NodeLayout lay;
  private long states;
  private long expectedLeaf;
  private long prevLeaf;
  private long prevStart = Long.MIN_VALUE;
  private long prevEnd;
  private int prevBits;
  private boolean any;

  NodeVerifier(NodeTree t) {
    this.t = t;
    this.lay = t.lay;
  }

  @Nullable String verify(long size) {
    if (t.root == 0) {
      return t.height == 0 && size == 0 ? null : "empty root but height " + t.height + ", size " + size;
    }
    if (t.height > 1 && lay.count(t.root) < 2) {
      return "inner root with " + lay.count(t.root) + " child";
    }
    expectedLeaf = -1;
    String bad = node(t.root, t.height, Long.MIN_VALUE, Long.MAX_VALUE);
    if (bad != null) {
      return bad;
    }
    if (lay.next(prevLeaf) != 0) {
      return "last leaf has a next link";
    }
    return states == size ? null : "size " + size + " but " + states + " states";
  }

  /** Checks the subtree {@code n} whose states must start in {@code [lo, hi)} ({@code hi} open unless max). */
  private @Nullable String node(long n, int level, long lo, long hi) {
    int c = lay.count(n);
    if (level == 1) {
      return leaf(n, c, lo, hi);
    }
    if (c < 1 || c > lay.fanout) {
      return "inner node with " + c + " children";
    }
    for (int i = 0; i < c; i++) {
      long klo = i == 0 ? lo : lay.key(n, i - 1);
      long khi = i == c - 1 ? hi : lay.key(n, i);
      if (i > 0 && i < c - 1 && lay.key(n, i - 1) >= lay.key(n, i)) {
        return "keys out of order at level " + level;
      }
      String bad = node(lay.kid(n, i), level - 1, klo, khi);
      if (bad != null) {
        return bad;
      }
    }
    return null;
  }

  private @Nullable String leaf(long n, int c, long lo, long hi) {
    if ((c < 1 && !(c == 0 && t.height == 1)) || c > lay.leafCap) { // only a root leaf may be empty
      return "leaf with " + c + " states";
    }
    if (expectedLeaf != -1 && expectedLeaf != n) {
      return "leaf chain skips a leaf";
    }
    if (lay.prev(n) != (expectedLeaf == -1 ? 0 : prevLeaf)) {
      return "bad prev link";
    }
    for (int i = 0; i < c; i++) {
      long s = lay.start(n, i);
      long e = lay.end(n, i);
      int b = lay.bits(n, i);
      if (s < lo || (hi != Long.MAX_VALUE && s >= hi)) {
        return "state [" + s + ", " + e + "] outside its separators [" + lo + ", " + hi + ")";
      }
      if (s > e || s < 0) {
        return "bad range [" + s + ", " + e + "]";
      }
      if (b == 0) {
        return "empty state [" + s + ", " + e + "]";
      }
      if (any) {
        if (prevEnd >= s) {
          return "overlap [" + prevStart + ", " + prevEnd + "] [" + s + ", " + e + "]";
        }
        if (prevEnd + 1 == s && prevBits == b && (b & NO_MERGE_BITS) == 0) {
          return "unmerged [" + prevStart + ", " + prevEnd + "] [" + s + ", " + e + "]";
        }
      }
      any = true;
      prevStart = s;
      prevEnd = e;
      prevBits = b;
      states++;
    }
    prevLeaf = n;
    expectedLeaf = lay.next(n);
    return null;
  }
}
