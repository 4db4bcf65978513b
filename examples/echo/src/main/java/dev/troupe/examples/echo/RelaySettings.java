package dev.troupe.examples.echo;

import java.util.List;

/**
 * The relay's settings, passed to it as the service's input.
 *
 * @param workerEntry entry spawned per message (default app:worker)
 * @param workerHost host it is spawned on (default app:processes)
 * @param workerDelayMs how long each worker waits before answering (default 100, as in the tutorial;
 *     benchmarks set 0)
 * @param statsIntervalMs how often the stats coroutine logs (default 5000)
 */
public record RelaySettings(String workerEntry, String workerHost, long workerDelayMs, long statsIntervalMs) {
  public static final String DEFAULT_WORKER_ENTRY = "app:worker";
  public static final String DEFAULT_WORKER_HOST = "app:processes";
  public static final long DEFAULT_WORKER_DELAY_MS = 100;
  public static final long DEFAULT_STATS_INTERVAL_MS = 5000;

  public List<Object> toArgs() {
    return List.of(workerEntry, workerHost, workerDelayMs, statsIntervalMs);
  }

  static RelaySettings fromArgs(List<Object> args) {
    return new RelaySettings(
        args.size() > 0 ? (String) args.get(0) : DEFAULT_WORKER_ENTRY,
        args.size() > 1 ? (String) args.get(1) : DEFAULT_WORKER_HOST,
        args.size() > 2 ? ((Number) args.get(2)).longValue() : DEFAULT_WORKER_DELAY_MS,
        args.size() > 3 ? ((Number) args.get(3)).longValue() : DEFAULT_STATS_INTERVAL_MS);
  }
}
