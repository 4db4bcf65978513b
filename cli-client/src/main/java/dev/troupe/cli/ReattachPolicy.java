package dev.troupe.cli;

import java.time.Duration;

/**
 * How the CLI attaches again after its attach stream ended (its node restarted or stopped): attempts
 * {@code initialBackoff} apart, doubling up to {@code maxBackoff}, until one succeeds or
 * {@code giveUpAfter} has passed since the stream ended.
 *
 * @param initialBackoff wait after the first failed attempt (default 100 ms)
 * @param maxBackoff longest wait between attempts (default 1 s): a restarted node is found again at most
 *     this long (plus one attach) after it serves
 * @param giveUpAfter how long to keep trying (default 30 s); an attempt already under way then still
 *     finishes (its bound is the attach timeout)
 */
public record ReattachPolicy(Duration initialBackoff, Duration maxBackoff, Duration giveUpAfter) {
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);
  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(1);
  public static final Duration DEFAULT_GIVE_UP_AFTER = Duration.ofSeconds(30);

  public ReattachPolicy {
    if (initialBackoff.isNegative() || initialBackoff.isZero() || maxBackoff.compareTo(initialBackoff) < 0
        || giveUpAfter.isNegative()) {
      throw new IllegalArgumentException("re-attach backoff must be positive, its maximum at least the initial"
          + " backoff, and the give-up time not negative: " + initialBackoff + ", " + maxBackoff + ", " + giveUpAfter);
    }
  }

  public static ReattachPolicy defaults() {
    return new ReattachPolicy(DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_GIVE_UP_AFTER);
  }

  /** The wait after failed attempt number {@code attempt} (0 for the first). */
  public Duration delay(int attempt) {
    Duration d = initialBackoff;
    for (int i = 0; i < attempt && d.compareTo(maxBackoff) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }
}
