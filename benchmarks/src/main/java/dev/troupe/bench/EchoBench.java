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
 * The Echo pattern against the real topology (scripts/troupe, relay with {@code --worker-delay-ms 0}):
 * a client attached to the relay's node, as the CLI is, sends {@code {sender, data, id}} to
 * {@code relay}; the relay spawns a monitored {@code app:worker} in a worker JVM per message; the
 * worker answers the client. After a warm-up with 8 in flight ({@code --warmup-seconds}: 12, full 30;
 * its first 2 s are {@code echo8_cold_per_s}), one request in flight (latency), then 8 (throughput).
 */
final class EchoBench {
  /** A request without a reply after this long counts as lost. */
  static final Duration LOST_AFTER = Duration.ofSeconds(1);

  private EchoBench() {}

  static void run(Args a) throws Exception {
    boolean quick = a.flag("quick");
    int warmup = a.getInt("warmup", quick ? 100 : 500);
    int count = a.getInt("count", quick ? 1000 : 3000);
    long warmupSeconds = a.getLong("warmup-seconds", quick ? 12 : 30);
    int rounds8 = a.getInt("rounds8", quick ? 3 : 5);
    long seconds8 = a.getLong("seconds8", quick ? 2 : 4);
    int window = a.getInt("window", 8);

    AttachedProcess c = GrpcAttach.attach(a.get("node"), "", "bench-echo", Duration.ofSeconds(10));
    try {
      awaitRelay(c);
      Channel<Message> inbox = c.inbox();
      long[] nextId = {0};
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
        Window w = inFlight(c, inbox, window, Math.min(2, warmupSeconds - s), nextId);
        if (s == 0) {
          Stats.result("echo8_cold_per_s", w.rate());
        }
        Stats.log("echo warm-up, %d to %d s: %.0f/s, p50 %.0f us", s, s + 2, w.rate(),
            w.latency().percentile(50) / 1e3);
      }

      // One in flight.
      Stats.Samples single = new Stats.Samples(count);
      long lostSingle = 0;
      for (int i = 0; i < warmup + count; i++) {
        if (i == warmup) {
          meter.start();
        }
        long id = ++nextId[0];
        long t0 = System.nanoTime();
        request(c, id);
        if (!awaitReply(inbox, id, LOST_AFTER)) {
          lostSingle++;
          continue;
        }
        if (i >= warmup) {
          single.add(System.nanoTime() - t0);
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
        Window w = inFlight(c, inbox, window, seconds8, nextId);
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
    } finally {
      c.close();
    }
  }

  /** What one closed-loop run with {@code window} requests in flight measured. */
  private record Window(double rate, Stats.Samples latency, long done, long lost) {}

  /**
   * Keeps {@code window} requests in flight for {@code seconds}. A request without a reply after
   * LOST_AFTER counts as lost and is replaced, so the window stays full.
   */
  private static Window inFlight(AttachedProcess c, Channel<Message> inbox, int window, long seconds,
      long[] nextId) throws InterruptedException {
    Stats.Samples lat = new Stats.Samples(1 << 16);
    LinkedHashMap<Long, Long> sentAt = new LinkedHashMap<>();
    long start = System.nanoTime();
    long end = start + seconds * 1_000_000_000L;
    long done = 0;
    long lost = 0;
    long now = start;
    while (now < end) {
      while (sentAt.size() < window) {
        long id = ++nextId[0];
        sentAt.put(id, System.nanoTime());
        request(c, id);
      }
      Optional<Received<Message>> got = inbox.receive(Duration.ofMillis(50));
      now = System.nanoTime();
      if (got.isPresent() && got.get().ok()) {
        Long id = replyId(got.get().value());
        Long t0 = id == null ? null : sentAt.remove(id);
        if (t0 != null && now <= end) {
          done++;
          lat.add(now - t0);
        }
      }
      for (var it = sentAt.entrySet().iterator(); it.hasNext(); ) {
        if (now - it.next().getValue() < LOST_AFTER.toNanos()) {
          break;
        }
        it.remove();
        lost++;
      }
    }
    // The replies still on their way are awaited (not counted), so the next run starts with none.
    long drainUntil = System.nanoTime() + LOST_AFTER.toNanos();
    while (!sentAt.isEmpty() && System.nanoTime() < drainUntil) {
      Optional<Received<Message>> got = inbox.receive(Duration.ofMillis(50));
      if (got.isPresent() && got.get().ok()) {
        Long id = replyId(got.get().value());
        if (id != null) {
          sentAt.remove(id);
        }
      }
    }
    return new Window(done / (double) seconds, lat, done, lost);
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

  private static void request(AttachedProcess c, long id) {
    c.post("relay", "echo", Map.of("sender", c.pid(), "data", "hello", "id", id));
  }

  private static Long replyId(Message m) {
    if ("echo_response".equals(m.topic()) && m.payload() instanceof Map<?, ?> resp
        && resp.get("id") instanceof Number n) {
      return n.longValue();
    }
    return null;
  }

  /** Waits for the reply to {@code id}, dropping late replies to earlier ids. */
  private static boolean awaitReply(Channel<Message> inbox, long id, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      Optional<Received<Message>> r = inbox.receive(Duration.ofNanos(left));
      if (r.isEmpty()) {
        return false;
      }
      Long got = replyId(r.get().value());
      if (got != null && got == id) {
        return true;
      }
    }
  }
}
