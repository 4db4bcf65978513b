package dev.troupe.launcher.core;

import java.time.Duration;

/**
 * How the launcher keeps worker JVMs. Defaults are in the constants and in docs/configuration.md.
 *
 * @param minSpares worker JVMs kept running even when they host nothing, so that a spawn never waits
 *     for a JVM to start; idle ones above it are reaped
 * @param maxWorkers most live worker JVMs (running, starting, queued to start and stopping); a spawn
 *     that finds every one of them full gets RESOURCE_EXHAUSTED
 * @param maxConcurrentStarts most JVMs starting at once (a start costs 0.2-0.4 s of CPU)
 * @param idleReap a JVM above minSpares that has hosted nothing this long is stopped
 * @param maxProcessesPerJvm most processes one shared worker JVM hosts at once
 * @param startTimeout a JVM that has not joined by then is killed and its start retried; a spawn
 *     that has waited this long for a JVM ends with an error
 * @param loadPollInterval how often the launcher asks each worker JVM how many processes it runs (to
 *     place the spawns that reach it, reap idle JVMs and stop a dedicated one whose process ended)
 * @param startRetryBackoff the first wait before forking again after a worker JVM failed to start;
 *     doubled on each further failure in a row, up to {@link #MAX_START_RETRY_BACKOFF}
 * @param crashReplaceDelay after a worker JVM died, how long the pool waits before it forks a spare to
 *     replace it (a spawn that needs a JVM meanwhile forks one at once): a JVM start takes both cores of
 *     a small machine for a moment, and the report of the loss must reach every monitor first
 */
public record PoolSettings(int minSpares, int maxWorkers, int maxConcurrentStarts, Duration idleReap,
    int maxProcessesPerJvm, Duration startTimeout, Duration loadPollInterval, Duration startRetryBackoff,
    Duration crashReplaceDelay) {

  /** Cores seen by this JVM: more worker JVMs than cores buy no CPU, only memory. */
  public static final int CORES = Math.max(1, Runtime.getRuntime().availableProcessors());
  /** One warm JVM per core: spawns spread over them from the start. */
  public static final int DEFAULT_MIN_SPARES = CORES;
  /**
   * Room for the shared JVMs (about one per core) and for processes that ask for a JVM of their own
   * ({@code isolation: jvm}), each of which costs ~60-80 MB.
   */
  public static final int DEFAULT_MAX_WORKERS = Math.max(8, 4 * CORES);
  public static final int DEFAULT_MAX_CONCURRENT_STARTS = 2;
  public static final Duration DEFAULT_IDLE_REAP = Duration.ofSeconds(60);
  /**
   * Sized from the measured cost of a process blocked in receive in a worker JVM (about 2-3 KB of
   * heap, see docs/architecture.md): 25,000 of them fit the default worker heap with room for
   * their messages.
   */
  public static final int DEFAULT_MAX_PROCESSES_PER_JVM = 25_000;
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_LOAD_POLL_INTERVAL = Duration.ofMillis(250);
  public static final Duration DEFAULT_START_RETRY_BACKOFF = Duration.ofMillis(250);
  public static final Duration MAX_START_RETRY_BACKOFF = Duration.ofSeconds(10);
  /** Measured: kill -9 to EXIT at a monitor on another node 29 ms p50 with it, 35 ms without. */
  public static final Duration DEFAULT_CRASH_REPLACE_DELAY = Duration.ofMillis(200);

  public PoolSettings {
    if (minSpares < 0 || maxWorkers < 1 || maxConcurrentStarts < 1 || maxProcessesPerJvm < 1) {
      throw new IllegalArgumentException("pool limits must be positive (min spares may be 0)");
    }
    if (minSpares > maxWorkers) {
      throw new IllegalArgumentException("min spares (" + minSpares + ") above max workers (" + maxWorkers + ")");
    }
  }

  public static PoolSettings defaults() {
    return new PoolSettings(DEFAULT_MIN_SPARES, DEFAULT_MAX_WORKERS, DEFAULT_MAX_CONCURRENT_STARTS,
        DEFAULT_IDLE_REAP, DEFAULT_MAX_PROCESSES_PER_JVM, DEFAULT_START_TIMEOUT,
        DEFAULT_LOAD_POLL_INTERVAL, DEFAULT_START_RETRY_BACKOFF, DEFAULT_CRASH_REPLACE_DELAY);
  }
}
