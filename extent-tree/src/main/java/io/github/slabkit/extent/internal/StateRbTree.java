package io.github.slabkit.extent.internal;

import static io.github.slabkit.extent.internal.StateLayout.BITS;
import static io.github.slabkit.extent.internal.StateLayout.COLOR;
import static io.github.slabkit.extent.internal.StateLayout.END;
import static io.github.slabkit.extent.internal.StateLayout.LEFT;
import static io.github.slabkit.extent.internal.StateLayout.PARENT;
import static io.github.slabkit.extent.internal.StateLayout.RIGHT;
import static io.github.slabkit.extent.internal.StateLayout.START;

import io.github.slabkit.allocator.ObjectAllocator;
import java.lang.foreign.MemorySegment;
import org.jspecify.annotations.Nullable;

/**
 * The red-black mechanics of the extent state tree, apart from the btrfs rules in {@link StateTree}: an
 * off-heap red-black tree of disjoint ranges ordered by start, whose nodes are {@link StateLayout} objects
 * and whose links are allocator handles ({@code 0} is nil). The algorithms are the textbook ones (Cormen et
 * al., "Introduction to Algorithms", ch. 13), with the removal variant that relinks the successor instead
 * of copying its key, so that a handle names the same state for as long as it is in the tree.
 *
 * <p>Not thread safe; every access is plain and made under the owning tree's lock.
 */
abstract class StateRbTree {
  static final int RED = 1;
  static final int BLACK = 0;

  /** Resolves handles to memory (the slab cache). */
  final ObjectAllocator mem;

  long root;
  long size;
  long resultStart;
  long resultEnd;
  int resultBits;

  StateRbTree(ObjectAllocator memory) {
    this.mem = memory;
  }

  // ---------------------------------------------------------------- field access

  /**
   * Returns the first offset of a state.
   *
   * @param h the state
   * @return the start
   */
  public long start(long h) {
    return (long) START.get(mem.memory(h), mem.offset(h));
  }

  /**
   * Returns the last offset of a state.
   *
   * @param h the state
   * @return the inclusive end
   */
  public long end(long h) {
    return (long) END.get(mem.memory(h), mem.offset(h));
  }

  /**
   * Returns the bits of a state.
   *
   * @param h the state
   * @return the bits
   */
  public int bits(long h) {
    return (int) BITS.get(mem.memory(h), mem.offset(h));
  }

  long left(long h) {
    return (long) LEFT.get(mem.memory(h), mem.offset(h));
  }

  long right(long h) {
    return (long) RIGHT.get(mem.memory(h), mem.offset(h));
  }

  long parent(long h) {
    return (long) PARENT.get(mem.memory(h), mem.offset(h));
  }

  boolean red(long h) {
    return h != 0 && (int) COLOR.get(mem.memory(h), mem.offset(h)) == RED;
  }

  int color(long h) {
    return (int) COLOR.get(mem.memory(h), mem.offset(h));
  }

  void setStart(long h, long v) {
    START.set(mem.memory(h), mem.offset(h), v);
  }

  void setEnd(long h, long v) {
    END.set(mem.memory(h), mem.offset(h), v);
  }

  void setBits(long h, int v) {
    BITS.set(mem.memory(h), mem.offset(h), v);
  }

  void setLeft(long h, long v) {
    LEFT.set(mem.memory(h), mem.offset(h), v);
  }

  void setRight(long h, long v) {
    RIGHT.set(mem.memory(h), mem.offset(h), v);
  }

  void setParent(long h, long v) {
    PARENT.set(mem.memory(h), mem.offset(h), v);
  }

  void setColor(long h, int v) {
    COLOR.set(mem.memory(h), mem.offset(h), v);
  }

  // ---------------------------------------------------------------- search and order

  /**
   * Returns the state containing {@code off}, else the first state after it, else {@code 0}: the first
   * state whose end is at or after {@code off} (btrfs's {@code tree_search}).
   *
   * @param off the offset
   * @return a handle or 0
   */
  public long search(long off) {
    long n = root;
    long candidate = 0;
    while (n != 0) {
      MemorySegment s = mem.memory(n);
      long o = mem.offset(n);
      if (off < (long) START.get(s, o)) {
        candidate = n;
        n = (long) LEFT.get(s, o);
      } else if (off > (long) END.get(s, o)) {
        n = (long) RIGHT.get(s, o);
      } else {
        return n;
      }
    }
    return candidate;
  }

  /**
   * Returns the state containing {@code off}, or {@code 0}.
   *
   * @param off the offset
   * @return a handle or 0
   */
  public long stateAt(long off) {
    long n = root;
    while (n != 0) {
      MemorySegment s = mem.memory(n);
      long o = mem.offset(n);
      long start = (long) START.get(s, o);
      if (off < start) {
        n = (long) LEFT.get(s, o);
        continue;
      }
      long end = (long) END.get(s, o);
      if (off > end) {
        n = (long) RIGHT.get(s, o);
      } else {
        resultStart = start;
        resultEnd = end;
        resultBits = (int) BITS.get(s, o);
        return n;
      }
    }
    return 0;
  }

  /**
   * Returns the bits of the state found by the previous {@link #stateAt}.
   *
   * @return the bits
   */
  @SuppressWarnings("MissingOverride") // implements StateStore through StateQueries
  public int resultBits() {
    return resultBits;
  }

  /**
   * Like {@link #search} but starts from a cached state when it contains {@code off} or ends right before
   * it (sequential work).
   *
   * @param off the offset
   * @param hint a state of this tree, or 0
   * @return a handle or 0
   */
  public long lookup(long off, long hint) {
    if (hint != 0) {
      MemorySegment s = mem.memory(hint);
      long o = mem.offset(hint);
      long e = (long) END.get(s, o);
      if ((long) START.get(s, o) <= off && off <= e) {
        return hint;
      }
      if (e != Long.MAX_VALUE && e + 1 == off) {
        return next(hint);
      }
    }
    return search(off);
  }

  /**
   * Returns the first state, or 0.
   *
   * @return a handle or 0
   */
  public long first() {
    long n = root;
    if (n == 0) {
      return 0;
    }
    for (long l = left(n); l != 0; l = left(n)) {
      n = l;
    }
    return n;
  }

  /**
   * Returns the state after {@code h}, or 0.
   *
   * @param h a state
   * @return a handle or 0
   */
  public long next(long h) {
    long r = right(h);
    if (r != 0) {
      for (long l = left(r); l != 0; l = left(r)) {
        r = l;
      }
      return r;
    }
    long p = parent(h);
    while (p != 0 && h == right(p)) {
      h = p;
      p = parent(p);
    }
    return p;
  }

  /**
   * Returns the state before {@code h}, or 0.
   *
   * @param h a state
   * @return a handle or 0
   */
  public long prev(long h) {
    long l = left(h);
    if (l != 0) {
      for (long r = right(l); r != 0; r = right(l)) {
        l = r;
      }
      return l;
    }
    long p = parent(h);
    while (p != 0 && h == left(p)) {
      h = p;
      p = parent(p);
    }
    return p;
  }

  // ---------------------------------------------------------------- red-black mechanics

  void link(long n, long parent, boolean asLeft) {
    setParent(n, parent);
    setLeft(n, 0L);
    setRight(n, 0L);
    setColor(n, RED);
    if (parent == 0) {
      root = n;
    } else if (asLeft) {
      setLeft(parent, n);
    } else {
      setRight(parent, n);
    }
    size++;
    insertFixup(n);
  }

  void insertFixup(long z) {
    while (true) {
      long p = parent(z);
      if (p == 0 || !red(p)) {
        break;
      }
      long g = parent(p); // p is red, so not the root
      if (p == left(g)) {
        long u = right(g);
        if (red(u)) {
          setColor(p, BLACK);
          setColor(u, BLACK);
          setColor(g, RED);
          z = g;
        } else {
          if (z == right(p)) {
            z = p;
            rotateLeft(z);
            p = parent(z);
          }
          setColor(p, BLACK);
          setColor(g, RED);
          rotateRight(g);
        }
      } else {
        long u = left(g);
        if (red(u)) {
          setColor(p, BLACK);
          setColor(u, BLACK);
          setColor(g, RED);
          z = g;
        } else {
          if (z == left(p)) {
            z = p;
            rotateRight(z);
            p = parent(z);
          }
          setColor(p, BLACK);
          setColor(g, RED);
          rotateLeft(g);
        }
      }
    }
    setColor(root, BLACK);
  }

  void rotateLeft(long x) {
    long y = right(x);
    long yl = left(y);
    setRight(x, yl);
    if (yl != 0) {
      setParent(yl, x);
    }
    long p = parent(x);
    setParent(y, p);
    replaceChild(p, x, y);
    setLeft(y, x);
    setParent(x, y);
  }

  void rotateRight(long x) {
    long y = left(x);
    long yr = right(y);
    setLeft(x, yr);
    if (yr != 0) {
      setParent(yr, x);
    }
    long p = parent(x);
    setParent(y, p);
    replaceChild(p, x, y);
    setRight(y, x);
    setParent(x, y);
  }

  void replaceChild(long p, long old, long nu) {
    if (p == 0) {
      root = nu;
    } else if (left(p) == old) {
      setLeft(p, nu);
    } else {
      setRight(p, nu);
    }
  }

  void erase(long z) {
    long x;
    long xParent;
    boolean removedBlack;
    long zl = left(z);
    long zr = right(z);
    if (zl == 0 || zr == 0) {
      x = zl != 0 ? zl : zr;
      xParent = parent(z);
      removedBlack = !red(z);
      replaceChild(xParent, z, x);
      if (x != 0) {
        setParent(x, xParent);
      }
    } else {
      long y = zr;
      for (long l = left(y); l != 0; l = left(y)) {
        y = l;
      }
      removedBlack = !red(y);
      x = right(y);
      if (parent(y) == z) {
        xParent = y;
      } else {
        xParent = parent(y);
        setLeft(xParent, x);
        if (x != 0) {
          setParent(x, xParent);
        }
        setRight(y, zr);
        setParent(zr, y);
      }
      long zp = parent(z);
      replaceChild(zp, z, y);
      setParent(y, zp);
      setLeft(y, zl);
      setParent(zl, y);
      setColor(y, color(z));
    }
    if (removedBlack) {
      eraseFixup(x, xParent);
    }
  }

  void eraseFixup(long x, long p) {
    while (x != root && !red(x)) {
      if (x == left(p)) {
        long w = right(p);
        if (red(w)) {
          setColor(w, BLACK);
          setColor(p, RED);
          rotateLeft(p);
          w = right(p);
        }
        if (!red(left(w)) && !red(right(w))) {
          setColor(w, RED);
          x = p;
          p = parent(x);
        } else {
          if (!red(right(w))) {
            setColor(left(w), BLACK);
            setColor(w, RED);
            rotateRight(w);
            w = right(p);
          }
          setColor(w, color(p));
          setColor(p, BLACK);
          setColor(right(w), BLACK);
          rotateLeft(p);
          x = root;
        }
      } else {
        long w = left(p);
        if (red(w)) {
          setColor(w, BLACK);
          setColor(p, RED);
          rotateRight(p);
          w = left(p);
        }
        if (!red(right(w)) && !red(left(w))) {
          setColor(w, RED);
          x = p;
          p = parent(x);
        } else {
          if (!red(left(w))) {
            setColor(right(w), BLACK);
            setColor(w, RED);
            rotateLeft(w);
            w = left(p);
          }
          setColor(w, color(p));
          setColor(p, BLACK);
          setColor(left(w), BLACK);
          rotateRight(p);
          x = root;
        }
      }
    }
    if (x != 0) {
      setColor(x, BLACK);
    }
  }

  /** Returns the black height, or -1 with a message through the recursion's caller. */
  @Nullable String verifyNode(long h, long[] counter) {
    return blackHeight(h, counter) < 0 ? "red-black or link rule broken below " + h : null;
  }

  long blackHeight(long h, long[] counter) {
    if (h == 0) {
      return 1;
    }
    counter[0]++;
    long l = left(h);
    long r = right(h);
    if ((l != 0 && (parent(l) != h || start(l) >= start(h)))
        || (r != 0 && (parent(r) != h || start(r) <= start(h)))) {
      return -1;
    }
    if (red(h) && (red(l) || red(r))) {
      return -1;
    }
    long bl = blackHeight(l, counter);
    long br = blackHeight(r, counter);
    if (bl < 0 || br < 0 || bl != br) {
      return -1;
    }
    return bl + (red(h) ? 0 : 1);
  }
}
