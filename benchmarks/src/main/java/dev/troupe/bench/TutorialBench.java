package dev.troupe.bench;

import dev.troupe.runtime.api.Message;
import dev.troupe.runtime.api.channel.Channel;
import dev.troupe.runtime.api.channel.Received;
import dev.troupe.runtime.grpc.GrpcAttach;
import dev.troupe.runtime.process.AttachedProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    long warmupSeconds = a.getLong("warmup-seconds", quick ? 10 : 30);
    Duration timeout = Duration.ofMillis(a.getLong("timeout-ms", 5000));
    long launcherPid = a.getLong("launcher-pid", -1);
    List<Long> services = List.of(a.getLong("registry-pid", -1), launcherPid, a.getLong("relay-pid", -1));

    AttachedProcess c = GrpcAttach.attach(a.get("node"), "", "bench-tutorial", Duration.ofSeconds(10));
    try {
      awaitRelay(c);
      Channel<Message> inbox = c.inbox();
      long[] nextId = {0};
      ProcStats.Meter meter = new ProcStats.Meter().self("client")
          .add("registry", services.get(0)).add("launcher", launcherPid).add("relay", services.get(2))
          .addGroup("workers", () -> SpawnBench.workerJvms(launcherPid).stream().map(ProcessHandle::pid).toList());
      LinkedHashMap<Long, Long> sentAt = new LinkedHashMap<>();
      Window warm = window(c, inbox, nextId, sentAt, inFlight, warmupSeconds, timeout, null);
      Stats.log("tutorial warm-up, %d in flight: %.0f/s, %d timeouts", inFlight, warm.done / (double) warmupSeconds,
          warm.timeouts);
      meter.start();
      Memory memory = new Memory(services, launcherPid);
      Window w = window(c, inbox, nextId, sentAt, inFlight, seconds, timeout, memory);
      ProcStats.perOp("tutorial", meter.stop(), Math.max(1, w.done)).forEach(ProcStats::diag);
      double rate = w.done / (double) seconds;
      Stats.log("tutorial, %d in flight for %d s: %.0f/s, p50 %.1f ms, p99 %.1f ms, %d timeouts, RSS %.0f MB in %d JVMs"
          + " (%d worker JVMs)", inFlight, seconds, rate, w.latency.percentile(50) / 1e6, w.latency.percentile(99) / 1e6,
          w.timeouts, memory.maxRssMb, memory.maxJvms, memory.maxWorkers);
      Stats.result("tutorial_per_s", rate);
      Stats.result("tutorial_p50_ms", w.latency.percentile(50) / 1e6);
      Stats.result("tutorial_p99_ms", w.latency.percentile(99) / 1e6);
      Stats.result("tutorial_timeouts", w.timeouts);
      Stats.result("tutorial_rss_mb", memory.maxRssMb);
      Stats.result("tutorial_jvms", memory.maxJvms);
      Stats.result("tutorial_worker_jvms", memory.maxWorkers);
      Stats.result("tutorial_in_flight", inFlight);
    } finally {
      c.close();
    }
  }

  private record Window(long done, long timeouts, Stats.Samples latency) {}

  /** Keeps {@code inFlight} requests outstanding for {@code seconds}; counts replies and timeouts. */
  private static Window window(AttachedProcess c, Channel<Message> inbox, long[] nextId,
      LinkedHashMap<Long, Long> sentAt, int inFlight, long seconds, Duration timeout, Memory memory)
      throws InterruptedException {
    Stats.Samples lat = new Stats.Samples(1 << 16);
    long start = System.nanoTime();
    long end = start + seconds * 1_000_000_000L;
    long nextSample = start;
    long done = 0;
    long timeouts = 0;
    long now = start;
    while (now < end) {
      while (sentAt.size() < inFlight) {
        long id = ++nextId[0];
        sentAt.put(id, System.nanoTime());
        c.post("relay", "echo", Map.of("sender", c.pid(), "data", "hello", "id", id));
      }
      Optional<Received<Message>> got = inbox.receive(Duration.ofMillis(20));
      now = System.nanoTime();
      if (got.isPresent() && got.get().ok()) {
        Long id = replyId(got.get().value());
        Long t0 = id == null ? null : sentAt.remove(id);
        if (t0 != null) {
          done++;
          lat.add(now - t0);
        }
      }
      for (var it = sentAt.entrySet().iterator(); it.hasNext(); ) {
        if (now - it.next().getValue() < timeout.toNanos()) {
          break;
        }
        it.remove();
        timeouts++;
      }
      if (memory != null && now >= nextSample) {
        memory.sample();
        nextSample = now + 1_000_000_000L;
      }
    }
    return new Window(done, timeouts, lat);
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

  private static Long replyId(Message m) {
    if ("echo_response".equals(m.topic()) && m.payload() instanceof Map<?, ?> resp
        && resp.get("id") instanceof Number n) {
      return n.longValue();
    }
    return null;
  }

  private static void awaitRelay(AttachedProcess c) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (c.registry().lookup("relay").isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no process registered as 'relay' within 30 s");
      }
      Thread.sleep(50);
    }
  }
}
