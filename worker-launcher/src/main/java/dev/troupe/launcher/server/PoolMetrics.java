package dev.troupe.launcher.server;

import dev.troupe.launcher.core.PoolStats;
import dev.troupe.launcher.core.ProcStatus;
import dev.troupe.launcher.core.WorkerPool;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.function.ToLongFunction;

/** The worker pool's families, added to the launcher node's metrics. Read from the pool when scraped. */
final class PoolMetrics {
  private PoolMetrics() {}

  static void register(PrometheusRegistry registry, WorkerPool pool) {
    GaugeWithCallback.builder().name("troupe_worker_jvms").help("Worker JVMs of this launcher, by state")
        .labelNames("state").callback(cb -> {
          PoolStats s = pool.stats();
          cb.call(s.spares(), "spare");
          cb.call(s.busy(), "busy");
          cb.call(s.starting(), "starting");
        }).register(registry);
    GaugeWithCallback.builder().name("troupe_worker_processes")
        .help("Processes running in this launcher's worker JVMs, as they last said")
        .callback(cb -> cb.call(pool.stats().processes())).register(registry);
    GaugeWithCallback.builder().name("troupe_worker_spawns_waiting")
        .help("Spawns waiting for a worker JVM that is starting")
        .callback(cb -> cb.call(pool.stats().waiting())).register(registry);
    counter(registry, "troupe_worker_jvms_forked_total", "Worker JVMs forked", PoolStats::forked, pool);
    counter(registry, "troupe_worker_jvms_reaped_total", "Worker JVMs stopped by the pool (idle spares)",
        PoolStats::reaped, pool);
    counter(registry, "troupe_worker_jvms_crashed_total", "Worker JVMs that died unasked (signal, exit)",
        PoolStats::crashed, pool);
    counter(registry, "troupe_worker_jvms_retired_total",
        "Dedicated worker JVMs stopped after their isolated process ended", PoolStats::retired, pool);
    counter(registry, "troupe_worker_jvm_start_failures_total", "Worker JVMs that failed to start",
        PoolStats::failedStarts, pool);
    GaugeWithCallback.builder().name("troupe_worker_jvm_resident_memory_bytes")
        .help("Resident set size of each running worker JVM, as /proc says").unit(Unit.BYTES)
        .labelNames("node").callback(cb -> {
          for (PoolStats.Jvm j : pool.stats().jvms()) {
            long rss = ProcStatus.rssBytes(j.pid());
            if (rss >= 0) {
              cb.call(rss, j.node());
            }
          }
        }).register(registry);
  }

  private static void counter(PrometheusRegistry registry, String name, String help,
      ToLongFunction<PoolStats> value, WorkerPool pool) {
    CounterWithCallback.builder().name(name).help(help)
        .callback(cb -> cb.call(value.applyAsLong(pool.stats()))).register(registry);
  }
}
