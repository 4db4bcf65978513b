package dev.troupe.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Echo tutorial's own workload at scale: the real topology with the relay's worker waiting 100 ms
 * (as the tutorial's {@code worker.lua} does), a client attached where the CLI attaches keeping
 * {@code in-flight} requests outstanding (closed loop) for {@code seconds} after a warm-up. A request
 * without a reply within {@code timeout-ms} counts as a timeout and is replaced. Reports
 * {@code tutorial_per_s}, {@code tutorial_p50_ms}, {@code tutorial_p99_ms}, {@code tutorial_timeouts},
 * {@code tutorial_rss_mb} (the largest sum of VmRSS of every Troupe JVM, sampled each second:
 * registry, launcher, relay and worker JVMs) and {@code tutorial_jvms} (the most Troupe JVMs seen).
 */
final class TutorialBench {
  private TutorialBench() {}

  static void run(Args a) throws Exception {
    boolean quick = a.flag("quick");
    int inFlight = a.getInt("in-flight", quick ? 300 : 1000);
    long seconds = a.getLong("seconds", quick ? 6 : 20);
    // 45 s: the relay, restarted for this phase, still spent 4.2 s of its 35 s of JIT compilation in a
    // window that started after 30 s (jstat -compiler, BENCHMARKS.md "Timers and timeouts").
    long warmupSeconds = a.getLong("warmup-seconds", quick ? 10 : 45);
    Duration timeout = Duration.ofMillis(a.getLong("timeout-ms", 5000));
    long launcherPid = a.getLong("launcher-pid", -1);
    List<Long> services = List.of(a.getLong("registry-pid", -1), launcherPid, a.getLong("relay-pid", -1));

    try (EchoLoad load = new EchoLoad(a.get("node"), "bench-tutorial")) {
      ProcStats.Meter meter = new ProcStats.Meter().self("client")
          .add("registry", services.get(0)).add("launcher", launcherPid).add("relay", services.get(2))
          .addGroup("workers", () -> SpawnBench.workerJvms(launcherPid).stream().map(ProcessHandle::pid).toList());
      // The load goes on from the warm-up into the measured window: what is in flight stays in flight.
      EchoLoad.Window warm = load.inFlight(inFlight, warmupSeconds, timeout, null);
      Stats.log("tutorial warm-up, %d in flight: %.0f/s, %d timeouts", inFlight, warm.rate(), warm.lost());
      meter.start();
      Memory memory = new Memory(services, launcherPid);
      EchoLoad.Window w = load.inFlight(inFlight, seconds, timeout, memory::sample);
      ProcStats.perOp("tutorial", meter.stop(), Math.max(1, w.done())).forEach(ProcStats::diag);
      Stats.log("tutorial, %d in flight for %d s: %.0f/s, p50 %.1f ms, p99 %.1f ms, %d timeouts, RSS %.0f MB in %d JVMs"
          + " (%d worker JVMs)", inFlight, seconds, w.rate(), w.latency().percentile(50) / 1e6,
          w.latency().percentile(99) / 1e6, w.lost(), memory.maxRssMb, memory.maxJvms, memory.maxWorkers);
      Stats.result("tutorial_per_s", w.rate());
      Stats.result("tutorial_p50_ms", w.latency().percentile(50) / 1e6);
      Stats.result("tutorial_p99_ms", w.latency().percentile(99) / 1e6);
      Stats.result("tutorial_timeouts", w.lost());
      Stats.result("tutorial_rss_mb", memory.maxRssMb);
      Stats.result("tutorial_jvms", memory.maxJvms);
      Stats.result("tutorial_worker_jvms", memory.maxWorkers);
      Stats.result("tutorial_in_flight", inFlight);
    }
  }

  /** The largest memory and JVM count of the topology seen. */
  private static final class Memory {
    private final List<Long> services;
    private final long launcherPid;
    double maxRssMb;
    int maxJvms;
    int maxWorkers;

    Memory(List<Long> services, long launcherPid) {
      this.services = services;
      this.launcherPid = launcherPid;
    }

    void sample() {
      List<Long> pids = new ArrayList<>(services.stream().filter(p -> p > 0).toList());
      List<ProcessHandle> workers = SpawnBench.workerJvms(launcherPid);
      workers.forEach(w -> pids.add(w.pid()));
      double rss = 0;
      int jvms = 0;
      for (long pid : pids) {
        double[] m = SpawnBench.memory(pid);
        if (m != null) {
          rss += m[0];
          jvms++;
        }
      }
      maxRssMb = Math.max(maxRssMb, rss);
      maxJvms = Math.max(maxJvms, jvms);
      maxWorkers = Math.max(maxWorkers, workers.size());
    }
  }
}
