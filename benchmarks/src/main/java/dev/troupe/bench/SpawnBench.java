package dev.troupe.bench;

import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.Received;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.client.GrpcAttach;
import dev.troupe.proto.node.v1.HostInfo;
import dev.troupe.proto.node.v1.ListProcessesRequest;
import dev.troupe.proto.node.v1.NodeAdminServiceGrpc;
import io.grpc.ManagedChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Spawn and exit figures against a real worker-launcher, from a client attached to the launcher's own
 * node (so the figures are the launcher's and the worker JVM's, without a peer hop):
 *
 * <ul>
 *   <li>{@code warm}: spawnMonitored of {@code bench:hello} from the warm pool, call to the child's
 *       first message ({@code spawn_warm}); the child returns its {@code nanoTime()}, and the EXIT's
 *       arrival at the monitor minus that is {@code exit_normal} (CLOCK_MONOTONIC, one machine);
 *   <li>{@code kill}: {@code bench:pid} reports its worker JVM's OS pid; SIGKILL of that JVM (checked
 *       to be a child of the launcher) to the monitor's EXIT ({@code exit_kill});
 *   <li>{@code cold}: the same as warm against a launcher with no spares and no reuse: every spawn
 *       forks a fresh worker JVM ({@code spawn_cold});
 *   <li>{@code rss}: VmRSS of the launcher's idle spare worker JVMs.
 * </ul>
 */
final class SpawnBench {
  private SpawnBench() {}

  static void run(Args a) throws Exception {
    String mode = a.get("mode");
    String address = a.get("launcher");
    long launcherPid = a.getLong("launcher-pid", -1);
    String host = a.get("host", "app:processes");
    boolean quick = a.flag("quick");
    ManagedChannel adminChannel = Channels.open(address, ChannelSettings.defaults());
    try {
      Pool pool = mode.equals("ack") ? null : new Pool(adminChannel, host);
      switch (mode) {
        case "rss" -> rss(a, pool, launcherPid);
        case "ack" -> {
          try (AttachedProcess c = attach(address)) {
            int n = a.getInt("count", 3000);
            nullRequests(c, n);
            Stats.Samples s = nullRequests(c, n);
            Stats.result("ack_rtt_p50_us", s.percentile(50) / 1e3);
          }
        }
        case "warm" -> {
          try (AttachedProcess c = attach(address)) {
            // 40 s: the launcher's C2 compiled 3.4 s more between 20 and 35 s of this phase, 0.5 s after
            // (jstat -compiler; BENCHMARKS.md "Timers and timeouts")
            warm(c, pool, host, launcherPid, a.getLong("warmup-seconds", quick ? 8 : 40),
                a.getInt("count", quick ? 600 : 1500), a.get("entry", "bench:hello"), a.get("prefix", ""));
          }
        }
        case "kill" -> {
          try (AttachedProcess c = attach(address)) {
            kill(c, pool, host, launcherPid, a.getInt("count", quick ? 8 : 15));
          }
        }
        case "cold" -> {
          try (AttachedProcess c = attach(address)) {
            cold(c, host, launcherPid, a.getInt("count", quick ? 4 : 15));
          }
        }
        default -> throw new IllegalArgumentException("unknown mode " + mode);
      }
    } finally {
      adminChannel.shutdownNow();
    }
  }

  private static AttachedProcess attach(String address) {
    return GrpcAttach.attach(address, "", "bench-spawn", Duration.ofSeconds(10));
  }

  /** The launcher's pool figures, through NodeAdminService.ListProcesses. */
  static final class Pool {
    private final NodeAdminServiceGrpc.NodeAdminServiceBlockingStub stub;
    private final String host;

    Pool(ManagedChannel channel, String host) {
      this.stub = NodeAdminServiceGrpc.newBlockingStub(channel);
      this.host = host;
    }

    Map<String, String> stats() {
      for (HostInfo h : stub.withDeadlineAfter(5, java.util.concurrent.TimeUnit.SECONDS)
          .listProcesses(ListProcessesRequest.getDefaultInstance()).getHostsList()) {
        if (h.getHost().equals(host)) {
          return h.getStatsMap();
        }
      }
      throw new IllegalStateException("the launcher does not serve " + host);
    }

    int stat(String key) {
      return Integer.parseInt(stats().getOrDefault(key, "0"));
    }

    /** Waits until at least {@code n} spares are idle and none is starting. */
    void awaitSpares(int n, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        Map<String, String> s = stats();
        if (Integer.parseInt(s.getOrDefault("spares", "0")) >= n
            && Integer.parseInt(s.getOrDefault("starting", "0")) == 0) {
          return;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the pool did not reach " + n + " idle spares within "
              + timeout + ": " + s);
        }
        Thread.sleep(50);
      }
    }
  }

  // ------------------------------------------------------------------------------------ warm

  /**
   * @param entry bench:hello, or its Lua twin bench:lua-hello (which returns no time: no exit figure)
   * @param prefix put before the keys of the results: "" for Java, "lua_" for Lua (then only
   *     lua_spawn_p50_us and lua_spawn_p99_us)
   */
  private static void warm(AttachedProcess c, Pool pool, String host, long launcherPid, long warmupSeconds,
      int count, String entry, String prefix) throws InterruptedException {
    pool.awaitSpares(1, Duration.ofSeconds(60));
    Stats.Samples reply = new Stats.Samples(count);
    Stats.Samples running = new Stats.Samples(count);
    Stats.Samples exit = new Stats.Samples(count);
    Channel<Message> inbox = c.inbox();
    Channel<Event> events = c.events();
    nullRequests(c, count);
    Stats.Samples ack = nullRequests(c, count);
    Stats.result("launcher_ack_rtt_p50_us", ack.percentile(50) / 1e3);
    ProcStats.Meter meter = new ProcStats.Meter().self("client").add("launcher", launcherPid)
        .addGroup("workers", () -> workerJvms(launcherPid).stream().map(ProcessHandle::pid).toList());
    long forkedBefore = pool.stat("forked");
    // Warm-up by time: the launcher's and the worker JVMs' spawn paths are compiled (see EchoBench).
    int warmup = 0;
    for (long end = System.nanoTime() + warmupSeconds * 1_000_000_000L; System.nanoTime() < end; warmup++) {
      spawnAndAwait(c, entry, host, inbox, events);
    }
    meter.start();
    for (int i = 0; i < count; i++) {
      SpawnTimes t = spawnAndAwait(c, entry, host, inbox, events);
      reply.add(t.reply());
      running.add(t.running());
      exit.add(t.exit());
    }
    ProcStats.perOp("spawn", meter.stop(), count).forEach(ProcStats::diag);
    long forked = pool.stat("forked") - forkedBefore;
    Stats.log("warm spawn: %d spawns, %d JVMs forked meanwhile (0 expected: every spawn reused a spare)",
        warmup + count, forked);
    if (!prefix.isEmpty()) {
      Stats.result(prefix + "spawn_p50_us", running.percentile(50) / 1e3);
      Stats.result(prefix + "spawn_p99_us", running.percentile(99) / 1e3);
      return;
    }
    Stats.result("spawn_warm_p50_us", running.percentile(50) / 1e3);
    Stats.result("spawn_warm_p99_us", running.percentile(99) / 1e3);
    Stats.result("spawn_reply_p50_us", reply.percentile(50) / 1e3);
    Stats.result("exit_normal_p50_us", exit.percentile(50) / 1e3);
    Stats.result("exit_normal_p99_us", exit.percentile(99) / 1e3);
  }

  /** Nanoseconds from the spawn call to its reply and to the child's first message; child's exit to EXIT. */
  private record SpawnTimes(long reply, long running, long exit) {}

  /**
   * Spawns a monitored {@code entry} ({@code bench:hello}, which sends its {@code nanoTime()} and returns
   * it): the spawn's reply, the child's message and its EXIT are awaited.
   */
  private static SpawnTimes spawnAndAwait(AttachedProcess c, String entry, String host, Channel<Message> inbox,
      Channel<Event> events) throws InterruptedException {
    long t0 = System.nanoTime();
    String child = c.spawnMonitored(entry, host, c.pid());
    long tReply = System.nanoTime();
    Message hello = MessagingBench.receive(inbox, Duration.ofSeconds(30), "hello");
    long tRunning = System.nanoTime();
    Event e = receiveEvent(events, Duration.ofSeconds(30));
    long tExit = System.nanoTime();
    if (!"hello".equals(hello.topic()) || e.kind() != Event.Kind.EXIT || !e.from().equals(child)
        || e.result().isError()) {
      throw new IllegalStateException("unexpected " + hello + " / " + e);
    }
    return new SpawnTimes(tReply - t0, tRunning - t0,
        e.result().value() instanceof String ended ? tExit - Long.parseLong(ended) : 0);
  }

  /**
   * The round trip of a request the node answers at once (set_options): what every acknowledged call
   * of the process API ({@code send}, {@code spawn}, {@code monitor}...) costs at least.
   */
  static Stats.Samples nullRequests(AttachedProcess c, int n) {
    Stats.Samples s = new Stats.Samples(n);
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      c.setTrapLinks(false);
      s.add(System.nanoTime() - t0);
    }
    return s;
  }

  // ------------------------------------------------------------------------------------ kill

  private static void kill(AttachedProcess c, Pool pool, String host, long launcherPid, int count)
      throws Exception {
    if (launcherPid <= 0) {
      throw new IllegalArgumentException("kill needs --launcher-pid");
    }
    Stats.Samples killed = new Stats.Samples(count);
    long anonMb = 0;
    boolean hugePages = false;
    Channel<Message> inbox = c.inbox();
    Channel<Event> events = c.events();
    for (int i = 0; i < count; i++) {
      pool.awaitSpares(2, Duration.ofSeconds(60));
      awaitQuiet(launcherPid, Duration.ofSeconds(10)); // the replacement of the last kill has started up
      String child = c.spawnMonitored("bench:pid", host, c.pid());
      Message m = MessagingBench.receive(inbox, Duration.ofSeconds(30), "pid");
      long osPid = ((Number) m.payload()).longValue();
      ProcessHandle worker = ProcessHandle.of(osPid).orElseThrow();
      long parent = worker.parent().map(ProcessHandle::pid).orElse(-1L);
      if (parent != launcherPid) {
        throw new IllegalStateException("pid " + osPid + " is not a worker JVM of launcher " + launcherPid);
      }
      hugePages |= cmdline(osPid).contains("-XX:+UseTransparentHugePages");
      double[] mem = memory(osPid);
      if (mem != null) {
        anonMb = Math.max(anonMb, Math.round(mem[1]));
      }
      long t0 = System.nanoTime();
      worker.destroyForcibly(); // SIGKILL
      Event e = receiveEvent(events, Duration.ofSeconds(30));
      long t1 = System.nanoTime();
      if (e.kind() != Event.Kind.EXIT || !e.from().equals(child) || !e.result().isError()) {
        throw new IllegalStateException("unexpected event " + e);
      }
      killed.add(t1 - t0);
      Stats.log("kill %d: EXIT after %.1f ms: %s", i + 1, (t1 - t0) / 1e6, e.result().error());
    }
    Stats.result("exit_kill_p50_ms", killed.percentile(50) / 1e6);
    Stats.result("exit_kill_max_ms", killed.percentile(100) / 1e6);
    Stats.result("exit_kill_floor_ms", killFloor(anonMb, hugePages, count).percentile(50) / 1e6);
  }

  /**
   * Waits until the launcher and its worker JVMs use less than a tenth of a core for 200 ms in a row:
   * a JVM that replaces a killed one compiles with C1 and C2 for a second or two after it joined, and a
   * kill meanwhile would measure that contention rather than the report of a death. Gives up at the
   * deadline (logged).
   */
  private static void awaitQuiet(long launcherPid, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long window = Duration.ofMillis(100).toNanos();
    int quietWindows = 0;
    long before = cpuNs(launcherPid);
    while (quietWindows < 2) {
      if (System.nanoTime() > deadline) {
        Stats.log("the worker JVMs were still busy after %d s; killing anyway", timeout.toSeconds());
        return;
      }
      Thread.sleep(Duration.ofNanos(window));
      long now = cpuNs(launcherPid);
      quietWindows = now - before < window / 10 ? quietWindows + 1 : 0;
      before = now;
    }
  }

  /** CPU time used so far by the launcher and its worker JVMs. */
  private static long cpuNs(long launcherPid) {
    long sum = ProcStats.read(launcherPid).cpuNs();
    for (ProcessHandle w : workerJvms(launcherPid)) {
      sum += ProcStats.read(w.pid()).cpuNs();
    }
    return sum;
  }

  /**
   * SIGKILL to reaped of a JVM that holds {@code anonMb} MB, as a killed worker JVM does: the kernel
   * frees a dying process's memory before it closes its sockets and reports its exit, so no report of
   * a worker's death (nor a broken stream) can come sooner.
   */
  private static Stats.Samples killFloor(long anonMb, boolean hugePages, int count) throws Exception {
    Stats.Samples floor = new Stats.Samples(count);
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    // The ballast's heap is its payload; the JVM's own anonymous memory (~30 MB) comes on top.
    long ballastMb = Math.max(1, anonMb - 30);
    for (int i = 0; i < count; i++) {
      List<String> cmd = new ArrayList<>(List.of(javaBin, "-XX:+UseSerialGC", "-Xss512k",
          "-Xmx" + (ballastMb + 64) + "m"));
      if (hugePages) {
        cmd.add("-XX:+UseTransparentHugePages"); // as the worker JVMs: their heap is freed in 2 MB pages
      }
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Ballast.class.getName(),
          Long.toString(ballastMb)));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      try {
        String ready = new BufferedReader(new InputStreamReader(p.getInputStream())).readLine();
        if (ready == null || !ready.startsWith("READY")) {
          throw new IllegalStateException("the ballast JVM did not start: " + ready);
        }
        long t0 = System.nanoTime();
        p.destroyForcibly();
        p.onExit().get(30, TimeUnit.SECONDS);
        floor.add(System.nanoTime() - t0);
      } finally {
        p.destroyForcibly();
      }
    }
    Stats.log("kill floor: a JVM holding %d MB of heap is reaped %.1f ms (p50) after SIGKILL", ballastMb,
        floor.percentile(50) / 1e6);
    return floor;
  }

  /** The command line of process {@code pid}, its arguments separated by spaces; empty if unreadable. */
  private static String cmdline(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  // ------------------------------------------------------------------------------------ cold

  private static void cold(AttachedProcess c, String host, long launcherPid, int count)
      throws InterruptedException {
    Stats.Samples running = new Stats.Samples(count);
    Channel<Message> inbox = c.inbox();
    Channel<Event> events = c.events();
    for (int i = 0; i < count + 1; i++) {
      awaitNoWorkers(launcherPid);
      Thread.sleep(300);
      long t0 = System.nanoTime();
      String child = c.spawnMonitored("bench:hello", host, c.pid());
      MessagingBench.receive(inbox, Duration.ofSeconds(60), "hello");
      long t1 = System.nanoTime();
      Event e = receiveEvent(events, Duration.ofSeconds(30));
      if (e.kind() != Event.Kind.EXIT || !e.from().equals(child)) {
        throw new IllegalStateException("unexpected event " + e);
      }
      Stats.log("cold spawn %d%s: %.1f ms", i + 1, i == 0 ? " (warm-up)" : "", (t1 - t0) / 1e6);
      if (i > 0) {
        running.add(t1 - t0);
      }
    }
    Stats.result("spawn_cold_p50_ms", running.percentile(50) / 1e6);
    Stats.result("spawn_cold_min_ms", running.percentile(0) / 1e6);
  }

  /** A launcher without spares and without reuse retires each JVM: wait until it is gone. */
  private static void awaitNoWorkers(long launcherPid) throws InterruptedException {
    if (launcherPid <= 0) {
      return;
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (workerJvms(launcherPid).size() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  // ------------------------------------------------------------------------------------ rss

  private static void rss(Args a, Pool pool, long launcherPid) throws Exception {
    int spares = a.getInt("spares", 2);
    pool.awaitSpares(spares, Duration.ofSeconds(90));
    Thread.sleep(a.getLong("settle-ms", 2000));
    List<Double> rss = new ArrayList<>();
    List<Double> anon = new ArrayList<>();
    List<Double> pss = new ArrayList<>();
    int aot = 0;
    List<ProcessHandle> workers = workerJvms(launcherPid);
    for (ProcessHandle w : workers) {
      try {
        if (Files.readString(Path.of("/proc/" + w.pid() + "/maps")).contains(".aot")) {
          aot++;
        }
      } catch (IOException e) {
        // gone
      }
      double[] m = memory(w.pid());
      if (m != null) {
        rss.add(m[0]);
        anon.add(m[1]);
        pss.add(m[2]);
      }
    }
    Stats.log("worker JVMs of launcher %d: VmRSS MB %s, RssAnon MB %s; %d of %d map the AOT cache",
        launcherPid, rss, anon, aot, workers.size());
    ProcStats.diag("workers_mapping_aot_cache", aot);
    String key = a.get("key", "worker_rss_mb");
    Stats.result(key, Stats.median(rss));
    Stats.result(key.replace("_mb", "_anon_mb"), Stats.median(anon));
    Stats.result(key.replace("rss", "pss"), Stats.median(pss));
  }

  /** The launcher's child JVMs that run the worker main. */
  static List<ProcessHandle> workerJvms(long launcherPid) {
    return ProcessHandle.of(launcherPid).map(h -> h.children()
            .filter(ch -> ch.info().arguments().map(args -> List.of(args)
                .contains("dev.troupe.launcher.worker.WorkerMain")).orElse(false))
            .toList())
        .orElse(List.of());
  }

  /** VmRSS, RssAnon and Pss (shared pages divided among their users) of a process in MB, or null. */
  static double[] memory(long pid) {
    try {
      double rss = Double.NaN;
      double anon = Double.NaN;
      double pss = Double.NaN;
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
        if (line.startsWith("Pss:")) {
          pss = kb(line) / 1024.0;
        }
      }
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          rss = kb(line) / 1024.0;
        } else if (line.startsWith("RssAnon:")) {
          anon = kb(line) / 1024.0;
        }
      }
      return new double[] {rss, anon, pss};
    } catch (IOException e) {
      return null;
    }
  }

  private static long kb(String line) {
    return Long.parseLong(line.replaceAll("[^0-9]", ""));
  }

  static Event receiveEvent(Channel<Event> events, Duration timeout) throws InterruptedException {
    Optional<Received<Event>> r = events.receive(timeout);
    if (r.isEmpty() || !r.get().ok()) {
      throw new IllegalStateException("no event within " + timeout);
    }
    return r.get().value();
  }
}
