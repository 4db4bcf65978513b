package dev.troupe.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Echo pattern against the real topology (scripts/troupe, relay with {@code --worker-delay-ms 0}):
 * a client attached to the relay's node, as the CLI is, sends {@code {sender, data, id}} to
 * {@code relay}; the relay spawns a monitored {@code app:worker} in a worker JVM per message; the
 * worker answers the client. After a warm-up with 8 in flight ({@code --warmup-seconds}: 12, full 60, for
 * the worker JVMs' C2 compiles for 40-60 s; its first 2 s are {@code echo8_cold_per_s}), one request in
 * flight (latency), then 8 (throughput).
 */
final class EchoBench {
  /** A request without a reply after this long counts as lost. */
  static final Duration LOST_AFTER = Duration.ofSeconds(1);

  private EchoBench() {}

  static void run(Args a) throws Exception {
    boolean quick = a.flag("quick");
    int warmup = a.getInt("warmup", quick ? 100 : 500);
    int count = a.getInt("count", quick ? 1000 : 3000);
    long warmupSeconds = a.getLong("warmup-seconds", quick ? 12 : 60);
    int rounds8 = a.getInt("rounds8", quick ? 3 : 5);
    long seconds8 = a.getLong("seconds8", quick ? 2 : 4);
    int window = a.getInt("window", 8);

    try (EchoLoad load = new EchoLoad(a.get("node"), "bench-echo")) {
      long launcherPid = a.getLong("launcher-pid", -1);
      ProcStats.Meter meter = new ProcStats.Meter().self("client")
          .add("registry", a.getLong("registry-pid", -1))
          .add("relay", a.getLong("relay-pid", -1))
          .add("launcher", launcherPid)
          .addGroup("workers", () -> SpawnBench.workerJvms(launcherPid).stream().map(ProcessHandle::pid).toList());

      // Warm-up: every JVM of the topology (and this client) compiles its hot paths while `window`
      // requests are in flight; on 2 cores that takes tens of seconds, and a short warm-up measures
      // the JIT compilers rather than Troupe. The first seconds are reported as the cold figure.
      for (long s = 0; s < warmupSeconds; s += 2) {
        EchoLoad.Window w = load.inFlight(window, Math.min(2, warmupSeconds - s), LOST_AFTER, null);
        if (s == 0) {
          Stats.result("echo8_cold_per_s", w.rate());
        }
        Stats.log("echo warm-up, %d to %d s: %.0f/s, p50 %.0f us", s, s + 2, w.rate(),
            w.latency().percentile(50) / 1e3);
      }
      load.drain(LOST_AFTER);

      // One in flight.
      Stats.Samples single = new Stats.Samples(count);
      long lostSingle = 0;
      for (int i = 0; i < warmup + count; i++) {
        if (i == warmup) {
          meter.start();
        }
        long ns = load.roundTrip(LOST_AFTER);
        if (ns < 0) {
          lostSingle++;
        } else if (i >= warmup) {
          single.add(ns);
        }
      }
      ProcStats.perOp("echo", meter.stop(), count).forEach(ProcStats::diag);
      Stats.result("echo_p50_us", single.percentile(50) / 1e3);
      Stats.result("echo_p99_us", single.percentile(99) / 1e3);
      Stats.log("echo single: p50 %.0f us p99 %.0f us over %d, %d without reply", single.percentile(50) / 1e3,
          single.percentile(99) / 1e3, count, lostSingle);

      // `window` in flight, closed loop, for a fixed time per round.
      List<Double> rates = new ArrayList<>();
      List<Double> p50s = new ArrayList<>();
      long lost8 = 0;
      long done8 = 0;
      meter.start();
      for (int r = 0; r < rounds8; r++) {
        EchoLoad.Window w = load.inFlight(window, seconds8, LOST_AFTER, null);
        load.drain(LOST_AFTER);
        Stats.log("echo %d in flight round %d: %.0f/s, p50 %.0f us, %d without reply within %d ms",
            window, r + 1, w.rate(), w.latency().percentile(50) / 1e3, w.lost(), LOST_AFTER.toMillis());
        rates.add(w.rate());
        p50s.add(w.latency().percentile(50) / 1e3);
        lost8 += w.lost();
        done8 += w.done();
      }
      ProcStats.perOp("echo8", meter.stop(), Math.max(1, done8)).forEach(ProcStats::diag);
      Stats.result("echo8_per_s", Stats.median(rates));
      Stats.result("echo8_p50_us", Stats.median(p50s));
      Stats.result("echo_lost", lostSingle + lost8);
    }
  }
}
