package io.github.slabkit.extent;

import org.jspecify.annotations.Nullable;

/** Counters, structural checks and the release of the states of one tree, each under the tree lock. */
final class TreeStats {
  private TreeStats() {}

  static long stateCount(TreeCore core) {
    core.lock.lock();
    try {
      core.checkOpen();
      return core.states.size();
    } finally {
      core.lock.unlock();
    }
  }

  static ExtentTreeStatistics snapshot(TreeCore core) {
    core.lock.lock();
    try {
      return new ExtentTreeStatistics(
          core.states.size(),
          core.alloc.stashed(),
          core.waiters.size(),
          core.alloc.memoryWaiters(),
          core.waiters.waits(),
          core.waiters.wakeups(),
          core.alloc.memoryWaits(),
          core.locker.prefixUndos(),
          core.alloc.poolAllocations(),
          core.alloc.strayCount(),
          core.alloc.refusedFrees());
    } finally {
      core.lock.unlock();
    }
  }

  static void verify(TreeCore core) {
    core.lock.lock();
    try {
      core.checkOpen();
      String bad = core.states.verify();
      if (bad != null) {
        throw new IllegalStateException(core.name + ": " + bad);
      }
    } finally {
      core.lock.unlock();
    }
  }

  /**
   * Frees every state unless a range is locked or a thread waits; returns false if already closed.
   *
   * @throws IllegalStateException naming the locked ranges and the waiters
   */
  static boolean closeStates(TreeCore core, int describeMax) {
    core.lockTree();
    try {
      if (core.closed) {
        return false;
      }
      StringBuilder locked = new StringBuilder();
      long nLocked = core.states.describeLocked(locked, describeMax);
      int memoryWaiters = core.alloc.memoryWaiters();
      if (nLocked > 0 || !core.waiters.isEmpty() || memoryWaiters > 0) {
        StringBuilder sb = new StringBuilder(core.name).append(": cannot close: ");
        sb.append(nLocked).append(" locked state(s)");
        if (nLocked > 0) {
          sb.append(" ").append(locked);
        }
        sb.append(", ").append(core.waiters.size()).append(" lock waiter(s)");
        if (!core.waiters.isEmpty()) {
          sb.append(" ");
          core.waiters.describe(sb, describeMax);
        }
        sb.append(" and ").append(memoryWaiters).append(" operation(s) waiting for memory");
        throw new IllegalStateException(sb.toString());
      }
      // Closed before the states go: an optimistic reader that sees the freed tree also sees closed.
      core.closed = true;
      core.states.freeAll();
      return true;
    } finally {
      core.lock.unlock();
    }
  }

  /**
   * After {@link #closeStates}: offers the states the pool refused during the tree's life once more.
   *
   * @return the failure naming those it still refuses, or null
   */
  static @Nullable IllegalStateException unreturnedStates(TreeCore core) {
    core.lock.lock();
    try {
      return core.alloc.releaseStrays(core.name);
    } finally {
      core.lock.unlock();
    }
  }
}
