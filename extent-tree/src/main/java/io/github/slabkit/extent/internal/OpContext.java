package io.github.slabkit.extent.internal;

/**
 * What a thread reuses across tree operations so that they allocate nothing: its operation state and its
 * waiter. One per thread (a thread runs one tree operation at a time; a nested one, from a hook that
 * calls another tree, gets a fresh context).
 */
public final class OpContext {
  /** The states the running operation holds. */
  public final Prealloc prealloc = new Prealloc();

  /** The thread's waiter for range locks. */
  public final WaitQueue.Waiter waiter = new WaitQueue.Waiter(Thread.currentThread());

  /** The thread's cursor for optimistic reads of a B+tree. */
  public final ReadCursor read = new ReadCursor();

  /** Whether an operation of this thread uses the context now. */
  public boolean busy;

  /** How many visits ({@code forEach}) of this thread are running: their visitors run under a tree lock. */
  public int visiting;

  /** Creates the context of the current thread. */
  public OpContext() {}
}
