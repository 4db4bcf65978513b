package dev.troupe.launcher.core;

import java.time.Duration;

/**
 * How the launcher keeps worker JVMs. Defaults are in the constants and in docs/configuration.md.
 *
 * @param minSpares idle worker JVMs kept ready, so a spawn never waits for a JVM to start
 * @param maxWorkers most live worker JVMs (spare, busy and starting); a spawn beyond it gets
 *     RESOURCE_EXHAUSTED
 * @param maxConcurrentStarts most JVMs starting at once (a start costs 0.2-0.4 s of CPU)
 * @param idleReap a spare above minSpares idle this long is stopped
 * @param reuse whether a JVM runs another process after a clean exit
 * @param maxProcessesPerWorker processes one JVM runs before it is retired (when reusing)
 * @param startTimeout a JVM that has not said hello by then is killed
 * @param crashReportWait after a worker's stream breaks, how long to wait for the JVM's exit status
 *     so that the EXIT can name the signal
 */
public record PoolSettings(int minSpares, int maxWorkers, int maxConcurrentStarts, Duration idleReap,
    boolean reuse, int maxProcessesPerWorker, Duration startTimeout, Duration crashReportWait) {

  public static final int DEFAULT_MIN_SPARES = 2;
  public static final int DEFAULT_MAX_WORKERS = 64;
  public static final int DEFAULT_MAX_CONCURRENT_STARTS = 2;
  public static final Duration DEFAULT_IDLE_REAP = Duration.ofSeconds(60);
  /** High: a retired JVM costs a fresh start (0.2-0.4 s of CPU) and a cold, uncompiled worker. */
  public static final int DEFAULT_MAX_PROCESSES_PER_WORKER = 20_000;
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_CRASH_REPORT_WAIT = Duration.ofMillis(500);

  public PoolSettings {
    if (minSpares < 0 || maxWorkers < 1 || maxConcurrentStarts < 1 || maxProcessesPerWorker < 1) {
      throw new IllegalArgumentException("pool limits must be positive (min spares may be 0)");
    }
    if (minSpares > maxWorkers) {
      throw new IllegalArgumentException("min spares (" + minSpares + ") above max workers (" + maxWorkers + ")");
    }
  }

  public static PoolSettings defaults() {
    return new PoolSettings(DEFAULT_MIN_SPARES, DEFAULT_MAX_WORKERS, DEFAULT_MAX_CONCURRENT_STARTS,
        DEFAULT_IDLE_REAP, true, DEFAULT_MAX_PROCESSES_PER_WORKER, DEFAULT_START_TIMEOUT,
        DEFAULT_CRASH_REPORT_WAIT);
  }
}
