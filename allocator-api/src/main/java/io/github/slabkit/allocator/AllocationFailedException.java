package io.github.slabkit.allocator;

import java.io.Serial;
import org.jspecify.annotations.Nullable;

/**
 * Thrown when an allocation that may fail did fail: the memory budget stayed exhausted after reclaim and
 * waiting. The message names the allocator, what was asked, the budget's limit and usage, and what to
 * change. If a {@link Shrinker} of the budget threw during the reclaim before the failure, its exception is
 * attached as {@linkplain #getSuppressed() suppressed} and the message says so.
 */
public class AllocationFailedException extends RuntimeException {
  @Serial private static final long serialVersionUID = 1L;

  private final String allocatorName;
  private final long requestedBytes;
  private final long limitBytes;
  private final long usedBytes;

  /**
   * Creates the exception with a message built from its parts.
   *
   * @param allocatorName the cache or pool that failed
   * @param request what was asked, e.g. {@code "1 object of 64 B (a new slab of 65536 B)"}
   * @param requestedBytes the bytes that could not be charged
   * @param budget the budget that refused, for its name, limit and usage
   * @param advice what the user can change, e.g. {@code "raise the budget or free objects"}
   */
  public AllocationFailedException(
      String allocatorName, String request, long requestedBytes, MemoryBudget budget, String advice) {
    this(allocatorName, request, requestedBytes, budget, advice, budget.lastShrinkerFailure());
  }

  /**
   * The budget constructor's body, with the budget's {@link MemoryBudget#lastShrinkerFailure()} read once:
   * when a shrinker threw in the latest reclaim, the message says so and the exception is attached as
   * suppressed.
   */
  // Throwable.addSuppressed is final and calls nothing a subclass can override.
  @SuppressWarnings("this-escape")
  private AllocationFailedException(
      String allocatorName,
      String request,
      long requestedBytes,
      MemoryBudget budget,
      String advice,
      @Nullable RuntimeException shrinkerFailure) {
    this(
        allocatorName,
        requestedBytes,
        budget.limit(),
        budget.used(),
        allocatorName
            + ": cannot allocate "
            + request
            + ": memory budget '"
            + budget.name()
            + "' has limit "
            + Allocators.bytes(budget.limit())
            + " and "
            + Allocators.bytes(budget.used())
            + " in use after reclaim; "
            + advice
            + (shrinkerFailure == null
                ? ""
                : " (a shrinker of the budget threw during reclaim, attached as suppressed: "
                    + shrinkerFailure
                    + ")"));
    if (shrinkerFailure != null) {
      addSuppressed(shrinkerFailure);
    }
  }

  /**
   * Creates the exception with an explicit message.
   *
   * @param allocatorName the cache or pool that failed
   * @param requestedBytes the bytes asked for
   * @param limitBytes the limit in force
   * @param usedBytes the usage when it failed
   * @param message the full message
   */
  public AllocationFailedException(
      String allocatorName, long requestedBytes, long limitBytes, long usedBytes, String message) {
    super(message);
    this.allocatorName = allocatorName;
    this.requestedBytes = requestedBytes;
    this.limitBytes = limitBytes;
    this.usedBytes = usedBytes;
  }

  /**
   * Returns the name of the allocator that failed.
   *
   * @return the allocator's name
   */
  public String allocatorName() {
    return allocatorName;
  }

  /**
   * Returns the bytes that could not be had.
   *
   * @return the request in bytes
   */
  public long requestedBytes() {
    return requestedBytes;
  }

  /**
   * Returns the budget's limit at the time of failure.
   *
   * @return the limit in bytes
   */
  public long limitBytes() {
    return limitBytes;
  }

  /**
   * Returns the budget's usage at the time of failure.
   *
   * @return the used bytes
   */
  public long usedBytes() {
    return usedBytes;
  }
}
