package dev.troupe.systemtests;

import static org.awaitility.Awaitility.await;

import dev.troupe.api.Message;
import dev.troupe.api.channel.Received;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.client.GrpcAttach;
import dev.troupe.proto.node.v1.ProcessStarted;
import dev.troupe.proto.node.v1.WatchHostRequest;
import dev.troupe.proto.node.v1.WatchHostResponse;
import dev.troupe.proto.node.v1.WatchServiceGrpc;
import dev.troupe.proto.registry.v1.GetStatusRequest;
import dev.troupe.proto.registry.v1.GetStatusResponse;
import dev.troupe.proto.registry.v1.NameRecord;
import dev.troupe.proto.registry.v1.NodeRecord;
import dev.troupe.proto.registry.v1.RegistryServiceGrpc;
import dev.troupe.systemtests.entries.HoldEntry;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real topology (registry-service, worker-launcher, relay-service, each its own JVM) started and
 * stopped the way an operator does it: {@code scripts/troupe up} / {@code down} with
 * {@code TROUPE_NO_BUILD=1}, free loopback ports (never the defaults 7400-7402, so a developer's own
 * topology is left alone) and a fresh run directory under {@code system-tests/target/topologies/}.
 *
 * <p>It remembers every JVM it has seen (the services from their PID files, each restart by a keeper
 * included, the keepers from theirs, the worker JVMs as descendants of the launcher), and
 * {@link #close()} stops them with {@code troupe down}, kills by PID whatever is still alive, and fails
 * if anything had to be killed.
 */
public final class Topology implements AutoCloseable, BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  private BooleanSupplier precondition = () -> true;
  private String preconditionReason = "";
  private boolean upBeforeAll = true;

  /** The services of a topology, by their names in scripts/troupe. */
  public enum Service {
    REGISTRY("registry", "dev.troupe.registry.server.RegistryMain"),
    LAUNCHER("launcher", "dev.troupe.launcher.server.LauncherMain"),
    RELAY("relay", "dev.troupe.relay.RelayMain");

    private final String scriptName;
    private final String mainClass;

    Service(String scriptName, String mainClass) {
      this.scriptName = scriptName;
      this.mainClass = mainClass;
    }

    /** The name scripts/troupe, the PID file and the log file use. */
    public String scriptName() {
      return scriptName;
    }
  }

  /** What a command run by a test did. */
  public record Run(String command, int exitCode, String stdout, String stderr, Duration elapsed,
      boolean timedOut) {
    /** stdout split into lines (a trailing newline gives no extra empty line; CRs dropped). */
    public List<String> lines() {
      String s = stdout.replace("\r", "");
      if (s.endsWith("\n")) {
        s = s.substring(0, s.length() - 1);
      }
      return s.isEmpty() ? List.of() : List.of(s.split("\n", -1));
    }

    /** For assertion messages: the command, its status and its output. */
    public String describe() {
      return "`" + command + "` " + (timedOut ? "TIMED OUT" : "exit " + exitCode) + " after "
          + elapsed.toMillis() + " ms\n--- stdout\n" + stdout + "--- stderr\n" + stderr + "---";
    }
  }

  /** The script settings a topology sets itself; never inherited from the developer's shell. */
  private static final List<String> PLACEMENT_SETTINGS = List.of("TROUPE_RUN_DIR", "TROUPE_BIND",
      "TROUPE_REGISTRY_PORT", "TROUPE_LAUNCHER_PORT", "TROUPE_RELAY_PORT", "TROUPE_REGISTRY", "TROUPE_RELAY",
      "TROUPE_START_TIMEOUT", "TROUPE_OBSERVER_PORT", "TROUPE_REGISTRY_ARGS", "TROUPE_LAUNCHER_ARGS", "TROUPE_RELAY_ARGS", "TROUPE_WORKER_CLASSPATH",
      "TROUPE_NO_BUILD", "NO_COLOR");
  /** The secrets come from the topology's TROUPE_HOME alone, never from the environment of the tests. */
  private static final List<String> SECRET_SETTINGS = List.of("TROUPE_SECRET", "TROUPE_SECRET_FILE",
      "TROUPE_NODE_SECRET", "TROUPE_NODE_SECRET_FILE", "TROUPE_INSECURE");
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(120);
  private static final Set<Integer> PORTS_TAKEN = new HashSet<>();
  private static final AtomicInteger RUNS = new AtomicInteger();

  private final Path root;
  /** Where the scripts are under {@link #root}: {@code scripts} in the source tree, {@code bin} in a release. */
  private final String scripts;
  private final Path runDir;
  private final Map<Service, Integer> ports = new LinkedHashMap<>();
  /** The port of each service's /metrics, when the topology serves metrics. */
  private final Map<Service, Integer> metricsPorts = new LinkedHashMap<>();
  private final Map<String, String> env;
  private final Set<ProcessHandle> seen = new LinkedHashSet<>();
  private final List<AttachedProcess> clients = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> extras = new CopyOnWriteArrayList<>();

  /**
   * TROUPE_HOME of every topology this JVM starts, unless a test gives one of its own: the secrets
   * `scripts/troupe up` uses, made here first so that this JVM holds them too (as the operator who
   * runs the scripts does). So every system test runs with the secrets on, as users do by default.
   */
  static final Path SHARED_HOME = sharedHome();

  private static Path sharedHome() {
    Path home = targetDir().resolve("troupe-home");
    try {
      Files.createDirectories(home);
      String secret = secretIn(home.resolve("secret"));
      String nodeSecret = secretIn(home.resolve("node-secret"));
      dev.troupe.client.TransportSecurity.setProcess(
          new dev.troupe.client.TransportSecurity(secret, nodeSecret, null, null, null));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return home;
  }

  /** The secret in {@code file}, made (random, owner-only) if it is missing. */
  private static String secretIn(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] b = new byte[24];
      new java.security.SecureRandom().nextBytes(b);
      Files.writeString(file, java.util.HexFormat.of().formatHex(b) + "\n");
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
    return Files.readAllLines(file).get(0).strip();
  }

  private Topology(String name, String launcherArgs, String relayArgs, String workerClasspath, Path home,
      boolean insecure, boolean metrics, Path installed, boolean observer) {
    this.root = installed != null ? installed : repoRoot();
    this.scripts = installed != null ? "bin" : "scripts";
    this.runDir = targetDir().resolve("topologies")
        .resolve(name + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("HHmmss-SSS")));
    try {
      Files.createDirectories(runDir.resolve("logs"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Service s : Service.values()) {
      ports.put(s, freePort());
      if (metrics) {
        metricsPorts.put(s, freePort());
      }
    }
    Map<String, String> e = new TreeMap<>(System.getenv());
    PLACEMENT_SETTINGS.forEach(e::remove);
    e.put("JAVA_HOME", javaHome());
    e.put("TROUPE_NO_BUILD", "1");
    e.put("TROUPE_HOME", home.toString());
    SECRET_SETTINGS.forEach(e::remove);
    if (insecure) {
      e.put("TROUPE_INSECURE", "1");
    }
    e.put("TROUPE_RUN_DIR", runDir.toString());
    e.put("TROUPE_BIND", "127.0.0.1");
    e.put("TROUPE_REGISTRY_PORT", Integer.toString(ports.get(Service.REGISTRY)));
    e.put("TROUPE_LAUNCHER_PORT", Integer.toString(ports.get(Service.LAUNCHER)));
    e.put("TROUPE_RELAY_PORT", Integer.toString(ports.get(Service.RELAY)));
    e.put("TROUPE_REGISTRY", address(Service.REGISTRY));
    // TROUPE_RELAY is left to its default ($TROUPE_BIND:$TROUPE_RELAY_PORT): the CLI tests check it.
    e.put("TROUPE_START_TIMEOUT", "60");
    e.put("TROUPE_REGISTRY_ARGS", metricsArg(Service.REGISTRY).strip());
    if (observer) {
      e.put("TROUPE_OBSERVER_PORT", Integer.toString(freePort()));
    }
    e.put("TROUPE_LAUNCHER_ARGS", launcherArgs + metricsArg(Service.LAUNCHER));
    e.put("TROUPE_RELAY_ARGS", relayArgs + metricsArg(Service.RELAY));
    e.put("TROUPE_WORKER_CLASSPATH", workerClasspath);
    this.env = Map.copyOf(e);
  }

  private String metricsArg(Service s) {
    Integer p = metricsPorts.get(s);
    return p == null ? "" : " --metrics-port " + p;
  }

  /**
   * What {@code s} serves on /metrics now, one entry per series: {@code name{labels}} (as written,
   * labels in the order the node writes them) to its value. Fails if the topology has no metrics.
   */
  public Map<String, Double> metrics(Service s) {
    Integer port = metricsPorts.get(s);
    if (port == null) {
      throw new IllegalStateException("this topology serves no metrics: build it withMetrics()");
    }
    try (var http = java.net.http.HttpClient.newHttpClient()) {
      var response = http.send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new AssertionError(s + "'s /metrics answered " + response.statusCode());
      }
      Map<String, Double> series = new TreeMap<>();
      for (String line : response.body().split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        int space = line.lastIndexOf(' ');
        series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
      return series;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The value of one series of {@link #metrics}, 0 when it is not there (a counter not yet counted). */
  public double metric(Service s, String series) {
    return metrics(s).getOrDefault(series, 0.0);
  }

  /** A topology configured like {@code scripts/troupe up} with no settings but ports and run dir. */
  public static Builder named(String name) {
    return new Builder(name);
  }

  /** Settings of a topology, as the environment variables of the scripts. */
  public static final class Builder {
    private final String name;
    private final List<String> launcherArgs = new ArrayList<>();
    private final List<String> relayArgs = new ArrayList<>();
    private final List<String> workerClasspath = new ArrayList<>();
    private Path home = SHARED_HOME;
    private boolean insecure;
    private boolean metrics;
    private Path installed;
    private boolean observer;
    private BooleanSupplier precondition = () -> true;
    private String preconditionReason = "";
    private boolean upBeforeAll = true;

    private Builder(String name) {
      this.name = name;
    }

    /** TROUPE_LAUNCHER_ARGS, e.g. "--min-spares 2". */
    public Builder launcherArgs(String args) {
      launcherArgs.add(args);
      return this;
    }

    /** TROUPE_RELAY_ARGS, e.g. "--worker-delay-ms 0". */
    public Builder relayArgs(String args) {
      relayArgs.add(args);
      return this;
    }

    /** The launcher also serves {@code test:hold} ({@link HoldEntry}) from the test entries jar. */
    public Builder withTestEntries() {
      launcherArgs.add("--entry " + HoldEntry.ID + "=" + HoldEntry.class.getName());
      workerClasspath.add(testEntriesClasspath());
      return this;
    }

    /** TROUPE_HOME of this topology (default: {@link #SHARED_HOME}, whose secrets this JVM holds). */
    public Builder home(Path dir) {
      this.home = dir;
      return this;
    }

    /** TROUPE_INSECURE=1: no secrets, as a user who turned them off (anything local may call it). */
    public Builder insecure() {
      this.insecure = true;
      return this;
    }

    /** The registry serves Troupe Observer (TROUPE_OBSERVER_PORT, a free port): its address is {@code troupe observer}. */
    public Builder withObserver() {
      this.observer = true;
      return this;
    }

    /** Runs the scripts of the release unpacked at {@code dir} ({@code bin/troupe}, ...), not the source tree's. */
    public Builder installedAt(Path dir) {
      this.installed = dir;
      return this;
    }

    /** Each service serves its metrics (`--metrics-port`, a free port): read them with {@link #metrics}. */
    public Builder withMetrics() {
      this.metrics = true;
      return this;
    }

    /** The tests start what they need themselves (e.g. with {@code troupe run -x}): nothing before them. */
    public Builder notStarted() {
      this.upBeforeAll = false;
      return this;
    }

    /** As an extension, start nothing and skip the class's tests, saying why, unless {@code holds}. */
    public Builder onlyIf(BooleanSupplier holds, String reasonToSkip) {
      this.precondition = holds;
      this.preconditionReason = reasonToSkip;
      return this;
    }

    public Topology build() {
      Topology t = new Topology(name, String.join(" ", launcherArgs), String.join(" ", relayArgs),
          String.join(File.pathSeparator, workerClasspath), home, insecure, metrics, installed, observer);
      t.precondition = precondition;
      t.preconditionReason = preconditionReason;
      t.upBeforeAll = upBeforeAll;
      return t;
    }
  }

  // ---------------------------------------------------------------- the scripts

  /**
   * {@code scripts/troupe up}: starts the services that are not running and waits until each is
   * SERVING. Fails the test, with the logs, when it does not succeed.
   */
  public Run up() {
    Run r = troupe("up");
    trackServices();
    if (r.exitCode() != 0) {
      throw new AssertionError("expected `troupe up` to succeed, but: " + r.describe() + "\n" + diagnostics());
    }
    return r;
  }

  /** {@code scripts/troupe down}: stops the services of this run directory by their PIDs. */
  public Run down() {
    trackServices();
    trackWorkers();
    return troupe("down");
  }

  /** {@code scripts/troupe start SERVICE}: starts one service the way {@code up} does. */
  public Run start(Service s) {
    Run r = troupe("start", s.scriptName());
    trackServices();
    if (r.exitCode() != 0) {
      throw new AssertionError("expected `troupe start " + s.scriptName() + "` to succeed, but: "
          + r.describe() + "\n" + diagnostics());
    }
    return r;
  }

  /** {@code scripts/troupe stop SERVICE}: stops one service by its recorded PID. */
  public Run stop(Service s) {
    trackServices();
    trackWorkers();
    return troupe("stop", s.scriptName());
  }

  /** Runs {@code scripts/troupe ARGS} with this topology's settings. */
  public Run troupe(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(root.resolve(scripts + "/troupe").toString());
    cmd.addAll(List.of(args));
    return run(cmd, Map.of(), SCRIPT_TIMEOUT);
  }

  /**
   * CLI arguments for an echo that checks what comes back, not how fast: the first echo after a start
   * or a recovery is served by JVMs that are still compiling, and on a loaded machine can take longer
   * than the CLI's default 2 s wait for a reply.
   */
  public static final List<String> PATIENT_REPLY = List.of("--reply-timeout-ms", "10000");

  /**
   * {@code printf INPUT | scripts/cli-client ARGS} through bash, attached to this topology's relay's
   * node (TROUPE_RELAY) unless ARGS say {@code --connect}, as a user pipes lines into it.
   */
  public Run cliThroughPipe(String input, Map<String, String> extraEnv, Duration timeout, String... args) {
    Map<String, String> e = new LinkedHashMap<>(extraEnv);
    e.put("CLI_INPUT", input);
    String cmd = "printf '%s' \"$CLI_INPUT\" | " + scripts + "/cli-client" + quoted(args);
    return run(List.of("bash", "-c", cmd), e, timeout);
  }

  /**
   * scripts/cli-client on a pseudo-terminal ({@code script} from util-linux) of 80x24, fed
   * {@code input} through it, with its history in the run directory (never the user's).
   */
  public Run cliOnTerminal(String input, Map<String, String> extraEnv, Duration timeout) {
    Map<String, String> e = new LinkedHashMap<>(extraEnv);
    e.put("CLI_INPUT", input);
    String inner = "stty cols 80 rows 24; exec " + scripts + "/cli-client --history "
        + runDir.resolve("cli-history");
    String cmd = "printf '%s' \"$CLI_INPUT\" | script -qfec '" + inner + "' /dev/null";
    return run(List.of("bash", "-c", cmd), e, timeout);
  }

  /**
   * {@code scripts/cli-client ARGS} with its stdin a pipe the test writes to while it runs (see
   * {@link LiveCli}), attached to this topology's relay's node (TROUPE_RELAY) unless ARGS say
   * {@code --connect}. Stopped by {@link #close()} if still running.
   */
  public LiveCli cli(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(root.resolve(scripts + "/cli-client").toString());
    cmd.addAll(List.of(args));
    return live(cmd, root);
  }

  /**
   * {@code scripts/troupe ARGS} run in folder {@code dir} (a project's, for {@code run -x}), with its
   * stdin a pipe the test writes to and its stdout read line by line (see {@link LiveCli}).
   */
  public LiveCli troupeLive(Path dir, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(root.resolve(scripts + "/troupe").toString());
    cmd.addAll(List.of(args));
    return live(cmd, dir);
  }

  private LiveCli live(List<String> cmd, Path dir) {
    int n = RUNS.incrementAndGet();
    Path err = runDir.resolve("live-" + n + ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.PIPE).redirectOutput(ProcessBuilder.Redirect.PIPE)
        .redirectError(err.toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + cmd, e);
    }
    remember(p.toHandle());
    LiveCli cli = new LiveCli(p, err);
    extras.add(cli);
    return cli;
  }

  /**
   * {@code WatchService.WatchHost} on a service's node: every process started on {@code host} (and
   * every exit) from now on, until closed (at the latest by {@link #close()}).
   */
  public HostWatch watchHost(Service node, String host) {
    HostWatch w = new HostWatch(address(node), host);
    extras.add(w);
    return w;
  }

  /** A WatchHost subscription: the `started` updates in order, and when each exit came. */
  public static final class HostWatch implements AutoCloseable {
    private final ManagedChannel channel;
    private final java.util.concurrent.BlockingQueue<ProcessStarted> started =
        new java.util.concurrent.LinkedBlockingQueue<>();
    private final Map<String, Long> exitedAtNanos = new java.util.concurrent.ConcurrentHashMap<>();

    HostWatch(String address, String host) {
      channel = Channels.open(address, ChannelSettings.defaults());
      WatchServiceGrpc.newStub(channel).watchHost(WatchHostRequest.newBuilder().setHost(host).build(),
          new io.grpc.stub.StreamObserver<>() {
            @Override
            public void onNext(WatchHostResponse value) {
              if (value.hasStarted()) {
                started.add(value.getStarted());
              } else if (value.hasExit()) {
                exitedAtNanos.putIfAbsent(value.getExit().getFrom(), System.nanoTime());
              }
            }

            @Override
            public void onError(Throwable t) {
              // the node went away or the watch was closed
            }

            @Override
            public void onCompleted() {
              // nothing more
            }
          });
    }

    /** The next process started with {@code entry} (others are skipped), or a failure after {@code within}. */
    public ProcessStarted nextStarted(String entry, Duration within) throws InterruptedException {
      long deadline = System.nanoTime() + within.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        ProcessStarted p = left > 0 ? started.poll(left, TimeUnit.NANOSECONDS) : null;
        if (p == null) {
          throw new AssertionError("expected a process of " + entry + " to start within " + within.toMillis()
              + " ms, but none did");
        }
        if (entry.equals(p.getEntry())) {
          return p;
        }
      }
    }

    /** When (System.nanoTime) the test learnt of the exit of {@code pid}, waiting up to {@code within}. */
    public long exitOf(String pid, Duration within) {
      try {
        return await("the exit of " + pid + " on the watched host").atMost(within).pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(10)).until(() -> exitedAtNanos.get(pid), t -> t != null);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError("expected " + pid + " to exit within " + within.toMillis() + " ms, but it did not", e);
      }
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }

  private void closeExtras() {
    for (AutoCloseable c : extras) {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort: what is left is caught by the check of the JVMs
      }
    }
    extras.clear();
  }

  private static String quoted(String... args) {
    StringBuilder b = new StringBuilder();
    for (String a : args) {
      b.append(" '").append(a.replace("'", "'\\''")).append('\'');
    }
    return b.toString();
  }

  /**
   * Runs {@code cmd} in the repository root with this topology's environment, output to files in the
   * run directory. Every process it starts is remembered, and on timeout the whole tree is killed.
   */
  public Run run(List<String> cmd, Map<String, String> extraEnv, Duration timeout) {
    int n = RUNS.incrementAndGet();
    Path out = runDir.resolve("run-" + n + ".out");
    Path err = runDir.resolve("run-" + n + ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.environment().putAll(extraEnv);
    long t0 = System.nanoTime();
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + cmd, e);
    }
    Set<ProcessHandle> tree = new LinkedHashSet<>();
    tree.add(p.toHandle());
    boolean done = false;
    long deadline = t0 + timeout.toNanos();
    try {
      while (!done && System.nanoTime() < deadline) {
        p.descendants().forEach(tree::add); // remember what it started, to check it is all gone
        done = p.waitFor(20, TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
    if (!done) {
      p.descendants().forEach(tree::add);
      tree.forEach(ProcessHandle::destroyForcibly);
    }
    synchronized (seen) {
      seen.addAll(tree); // all must be gone by close(): a CLI when it returns, services after down
    }
    return new Run(String.join(" ", cmd), done ? p.exitValue() : -1, read(out), read(err), elapsed, !done);
  }

  // ---------------------------------------------------------------- processes

  /** The live OS process of a service, from the PID file `troupe` wrote; empty when not running. */
  public Optional<ProcessHandle> process(Service s) {
    return recorded(s.scriptName() + ".pid", x -> x.info().commandLine().orElse("").contains(s.mainClass));
  }

  /** The live OS process of a running service; fails the test when it is not running. */
  public ProcessHandle running(Service s) {
    return process(s).orElseThrow(() -> new AssertionError(
        "expected " + s.scriptName() + " to be running, but it is not\n" + diagnostics()));
  }

  /** The worker JVMs right now: the live descendants of the launcher. */
  public Set<ProcessHandle> workerJvms() {
    Set<ProcessHandle> workers = process(Service.LAUNCHER)
        .map(l -> l.descendants().filter(h -> !hasExited(h)).collect(Collectors.toCollection(LinkedHashSet::new)))
        .orElseGet(LinkedHashSet::new);
    workers.forEach(this::remember);
    return workers;
  }

  /** Their PIDs. */
  public Set<Long> workerPids() {
    return workerJvms().stream().map(ProcessHandle::pid).collect(Collectors.toCollection(LinkedHashSet::new));
  }

  /**
   * Waits until the launcher's pool has settled: its AOT training run is over, at least
   * {@code minJvms} worker JVMs exist, and every worker JVM has joined the registry as a node (holds
   * an established TCP connection to the registry's port). A JVM that is still starting cannot yet
   * notice anything, so tests that time what workers do start from here.
   */
  public Set<ProcessHandle> awaitPoolSettled(int minJvms, Duration within) {
    try {
      return await("the launcher's pool to settle (training over, >= " + minJvms + " worker JVMs, all attached)")
          .atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100))
          .until(this::settledWorkers, w -> w.size() >= minJvms);
    } catch (RuntimeException e) {
      throw new AssertionError("expected the pool to settle within " + within + "; worker JVMs now: "
          + describe(workerJvms()) + "\n" + diagnostics(), e);
    }
  }

  /** The worker JVMs if none is training or still starting, else the empty set. */
  private Set<ProcessHandle> settledWorkers() {
    Set<ProcessHandle> workers = workerJvms();
    if (workers.stream().anyMatch(h -> h.info().commandLine().orElse("--train").contains("--train"))) {
      return Set.of();
    }
    Set<String> sockets = establishedSocketsTo(port(Service.REGISTRY));
    for (ProcessHandle w : workers) {
      if (!holdsAnyOf(w, sockets)) {
        return Set.of();
      }
    }
    return workers;
  }

  /** Inodes ("socket:[N]") of established TCP connections to {@code port} on this machine (Linux). */
  private static Set<String> establishedSocketsTo(int port) {
    return sockets(2, "01", port);
  }

  /** Inodes of the sockets listening on {@code port} on this machine (Linux). */
  private static Set<String> socketsListeningOn(int port) {
    return sockets(1, "0A", port);
  }

  /**
   * Inodes of /proc/net/tcp{,6} entries in {@code state} whose address in column {@code column} (1:
   * local, 2: remote) has {@code port}.
   */
  private static Set<String> sockets(int column, String state, int port) {
    Set<String> inodes = new HashSet<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      for (String line : readLines(Path.of(table))) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 9 && f[column].contains(":") && state.equals(f[3])
            && Integer.parseInt(f[column].substring(f[column].indexOf(':') + 1), 16) == port) {
          inodes.add("socket:[" + f[9] + "]");
        }
      }
    }
    return inodes;
  }

  /**
   * The worker JVM that serves {@code pid} (e.g. {@code {app:processes|0x100a3}}): the member whose
   * shard of the pid's host holds its id, as the registry lists it, and the JVM listening on that
   * member's port. Read from the registry and /proc: no tool is started, so it takes milliseconds even
   * on a loaded machine (a thread dump of each JVM takes seconds there).
   */
  public Optional<ProcessHandle> workerJvmServing(String pid) {
    dev.troupe.api.Pid p = dev.troupe.api.Pid.parse(pid);
    return status().getNodesList().stream()
        .filter(n -> n.hasShard() && n.getShard().getHost().equals(p.host())
            && n.getShard().getFirstId() <= p.id() && p.id() < n.getShard().getEndId())
        .findFirst()
        .flatMap(n -> {
          Set<String> listening = socketsListeningOn(
              Integer.parseInt(n.getAddress().substring(n.getAddress().lastIndexOf(':') + 1)));
          return workerJvms().stream().filter(w -> holdsAnyOf(w, listening)).findFirst();
        });
  }

  private static boolean holdsAnyOf(ProcessHandle h, Set<String> sockets) {
    try (var fds = Files.list(Path.of("/proc", Long.toString(h.pid()), "fd"))) {
      return fds.anyMatch(fd -> {
        try {
          return sockets.contains(Files.readSymbolicLink(fd).toString());
        } catch (IOException e) {
          return false;
        }
      });
    } catch (IOException | UncheckedIOException e) {
      return false;
    }
  }

  /** The service JVMs and worker JVMs alive right now. */
  public Set<ProcessHandle> allJvms() {
    Set<ProcessHandle> all = new LinkedHashSet<>();
    for (Service s : Service.values()) {
      process(s).ifPresent(all::add);
    }
    all.addAll(workerJvms());
    return all;
  }

  private void trackServices() {
    for (Service s : Service.values()) {
      process(s);
      keeper(s).ifPresent(k -> k.descendants().forEach(this::remember)); // its JVM, even one no PID file names
    }
  }

  /**
   * The keeper of a service ({@code scripts/lib/keeper.sh}, which restarts its JVM when it dies), from
   * the {@code <svc>.keeper.pid} file `troupe` wrote; empty when not running. Remembered, so that
   * {@link #close()} can check it is gone (and kill it before the JVMs it would restart).
   */
  public Optional<ProcessHandle> keeper(Service s) {
    return recorded(s.scriptName() + ".keeper.pid", x -> isKeeper(x, s));
  }

  /**
   * The live process whose PID `troupe` recorded in {@code file} of the run directory, if it still is
   * what {@code is} expects (a PID may have been reused); remembered for {@link #close()}.
   */
  private Optional<ProcessHandle> recorded(String file, java.util.function.Predicate<ProcessHandle> is) {
    Path f = runDir.resolve(file);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(f).trim());
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
    Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(is);
    h.ifPresent(this::remember);
    return h;
  }

  private static boolean isKeeper(ProcessHandle h, Service s) {
    return h.info().commandLine().orElse("").contains("keeper.sh " + s.scriptName() + " ");
  }

  private static boolean isAnyKeeper(ProcessHandle h) {
    for (Service s : Service.values()) {
      if (isKeeper(h, s)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Waits until every service runs under its keeper (a live JVM in the PID file, a live keeper): after
   * a fault a keeper restarts its JVM by itself, so tests wait for that rather than run `troupe up`
   * (which, while a keeper waits to restart, would see no live JVM and start a second keeper).
   * Runs `troupe up` only for a service whose keeper is gone.
   */
  public void awaitAllRunning(Duration within) {
    for (Service s : Service.values()) {
      if (keeper(s).isEmpty() && process(s).isEmpty()) {
        start(s);
      }
    }
    try {
      await("every service running under its keeper").atMost(within).pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> java.util.Arrays.stream(Service.values())
              .allMatch(s -> process(s).isPresent() && keeper(s).isPresent()));
    } catch (RuntimeException e) {
      throw new AssertionError("expected every service to be running within " + within + "\n" + diagnostics(), e);
    }
  }

  private void trackWorkers() {
    workerJvms();
  }

  private void remember(ProcessHandle h) {
    synchronized (seen) {
      seen.add(h);
    }
  }

  /** Sends a signal ("STOP", "CONT", "KILL", ...) to one process, by its PID. */
  public static void signal(ProcessHandle h, String signal) {
    try {
      Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(h.pid())).inheritIO().start();
      if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
        throw new AssertionError("expected kill -" + signal + " " + h.pid() + " to succeed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Waits until every one of {@code processes} has exited, at most {@code within}. A zombie (exited,
   * not yet reaped by its new parent) counts as exited: in some containers PID 1 reaps orphans only
   * every second or so, and Java's ProcessHandle reports a zombie as alive.
   *
   * @return those still running then (empty when all exited)
   */
  public static List<ProcessHandle> stillAliveAfter(Collection<ProcessHandle> processes, Duration within) {
    try {
      await().atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
          .until(() -> processes.stream().allMatch(Topology::hasExited));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // reported below
    }
    return processes.stream().filter(h -> !hasExited(h)).toList();
  }

  /** Whether {@code h} has exited: gone, or a zombie. */
  public static boolean hasExited(ProcessHandle h) {
    if (!h.isAlive()) {
      return true;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
      String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state.equals("Z") || state.equals("X");
    } catch (IOException | RuntimeException e) {
      return !h.isAlive();
    }
  }

  /** "pid 123 (java ... Main)" for messages. */
  public static String describe(Collection<ProcessHandle> processes) {
    return processes.stream().map(h -> "pid " + h.pid() + " (" + h.info().commandLine().map(
        c -> c.length() > 160 ? c.substring(0, 80) + " ... " + c.substring(c.length() - 80) : c).orElse("?") + ")")
        .collect(Collectors.joining(", "));
  }

  // ---------------------------------------------------------------- nodes

  public int port(Service s) {
    return ports.get(s);
  }

  public String address(Service s) {
    return "127.0.0.1:" + ports.get(s);
  }

  /** A client process attached to the registry's node (host app:clients); closed with the topology. */
  public AttachedProcess attach() {
    return attach(Service.REGISTRY);
  }

  /** A client process attached to a service's node; closed with the topology. */
  public AttachedProcess attach(Service node) {
    AttachedProcess p = GrpcAttach.attach(address(node), "", "system-test", Duration.ofSeconds(10));
    clients.add(p);
    return p;
  }

  /** Ends every client attached through {@link #attach()} so far (each test's own, after it). */
  public void closeClients() {
    for (AttachedProcess c : clients) {
      try {
        c.close();
      } catch (RuntimeException ignored) {
        // its node may be gone already
      }
    }
    clients.clear();
  }

  /**
   * Waits until a service's node answers its gRPC health check as SERVING, and returns how long that
   * took. After a kill this is the time its keeper and a new JVM took to start: CPU-bound, so the
   * tests report it rather than bound it, and bound what Troupe does once the node serves.
   */
  public Duration awaitServing(Service s, Duration within) {
    long t0 = System.nanoTime();
    ManagedChannel ch = Channels.open(address(s), ChannelSettings.defaults());
    try {
      await(s + " serving").atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
          .ignoreExceptions().until(() -> {
            ch.resetConnectBackoff(); // poll at our pace, not the channel's reconnect backoff
            return HealthGrpc.newBlockingStub(ch).withDeadlineAfter(1, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus()
                == HealthCheckResponse.ServingStatus.SERVING;
          });
      return Duration.ofNanos(System.nanoTime() - t0);
    } catch (RuntimeException e) {
      throw new AssertionError("expected " + s + " to serve within " + within + "\n" + diagnostics(), e);
    } finally {
      ch.shutdownNow();
    }
  }

  /**
   * How starved of CPU this machine is now, for the figures the tests print beside a time they
   * measured: the load average against the cores, and the kernel's CPU pressure (the share of the
   * last 10 s in which some runnable task waited for a CPU) where the kernel reports it.
   */
  public static String cpuLoad() {
    String load = read(Path.of("/proc/loadavg")).split(" ")[0];
    String text = "load " + load + " on " + Runtime.getRuntime().availableProcessors() + " cores";
    Path psi = Path.of("/proc/pressure/cpu");
    if (Files.isReadable(psi)) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("some avg10=([0-9.]+)").matcher(read(psi));
      if (m.find()) {
        text += ", CPU pressure " + m.group(1) + "%";
      }
    }
    return text;
  }

  /** The registry's GetStatus: nodes, hosts and names. */
  public GetStatusResponse status() {
    ManagedChannel ch = Channels.open(address(Service.REGISTRY), ChannelSettings.defaults());
    try {
      return RegistryServiceGrpc.newBlockingStub(ch).withDeadlineAfter(2, TimeUnit.SECONDS)
          .getStatus(GetStatusRequest.getDefaultInstance());
    } finally {
      ch.shutdownNow();
    }
  }

  /** The names of the nodes the registry lists. */
  public Set<String> nodesListed() {
    return status().getNodesList().stream().map(NodeRecord::getNode).collect(Collectors.toSet());
  }

  /** The names the registry lists, with their PIDs. */
  public Map<String, String> namesListed() {
    return status().getNamesList().stream().collect(Collectors.toMap(NameRecord::getName, NameRecord::getPid));
  }

  /**
   * Waits until the Echo path works end to end: a message to {@code relay} is answered by a worker
   * (the relay registered, the launcher's pool started). {@code troupe up} returns earlier than that.
   */
  public void awaitEchoWorks(Duration within) {
    awaitEchoWorks(within, Duration.ofSeconds(2));
  }

  /**
   * As {@link #awaitEchoWorks(Duration)}, each attempt waiting {@code perEcho} for its answer (more
   * than the relay's --worker-delay-ms).
   */
  public void awaitEchoWorks(Duration within, Duration perEcho) {
    AttachedProcess probe = attach();
    AtomicLong ids = new AtomicLong(1_000_000);
    try {
      await("an echo through the relay to be answered").atMost(within).pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(100)).ignoreExceptions()
          .until(() -> echo(probe, "ready?", ids.incrementAndGet(), perEcho).isPresent());
    } catch (RuntimeException | AssertionError e) {
      throw new AssertionError("expected the Echo path to work within " + within + ", but it did not\n"
          + diagnostics(), e);
    } finally {
      probe.close();
      clients.remove(probe);
    }
  }

  /** Sends one echo request to {@code relay} and waits for the reply with the same id. */
  public static Optional<Map<?, ?>> echo(AttachedProcess client, String data, long id, Duration timeout)
      throws InterruptedException {
    client.send("relay", "echo", Map.of("sender", client.pid(), "data", data, "id", id));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Optional.empty();
      }
      Optional<Received<Message>> r = client.inbox().receive(Duration.ofNanos(left));
      if (r.isEmpty() || !r.get().ok()) {
        return Optional.empty();
      }
      Message m = r.get().value();
      if ("echo_response".equals(m.topic()) && m.payload() instanceof Map<?, ?> resp
          && resp.get("id") instanceof Number n && n.longValue() == id) {
        return Optional.of(resp);
      }
    }
  }

  // ---------------------------------------------------------------- files

  public Path runDir() {
    return runDir;
  }

  public Path log(Service s) {
    return runDir.resolve("logs").resolve(s.scriptName() + ".log");
  }

  /** The lines of a service's log (empty before it started). */
  /** The registry's log lines that declare a node lost, oldest first. */
  public List<String> lostLines() {
    return logLines(Service.REGISTRY).stream().filter(Hosts::declaresLost).toList();
  }

  /**
   * The first line after the registry's first {@code before} lost lines that declares {@code node}
   * lost (any life of it), once written. Tests time the registry's liveness bound by that line's
   * time, as the registry's own (its clock is this machine's), rather than by when a poll of the
   * registry's status from the test sees it: on a loaded machine such a poll takes time of its own.
   */
  public String awaitLostLine(int before, String node, Duration within) {
    return await(node + " declared lost in the registry's log").atMost(within).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> lostLines().stream().skip(before).filter(l -> l.contains("registry: node " + node + "#")).findFirst(),
            Optional::isPresent)
        .orElseThrow();
  }

  public List<String> logLines(Service s) {
    return readLines(log(s));
  }

  /** The last lines of every service's log, for failure messages. */
  public String diagnostics() {
    StringBuilder b = new StringBuilder("run dir " + runDir + "\n");
    for (Service s : Service.values()) {
      b.append("== ").append(log(s)).append('\n');
      List<String> lines = readLines(log(s));
      lines.subList(Math.max(0, lines.size() - 25), lines.size()).forEach(l -> b.append(l).append('\n'));
    }
    return b.toString();
  }

  private static List<String> readLines(Path p) {
    try {
      return Files.exists(p) ? Files.readAllLines(p, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      return List.of("(unreadable: " + e + ")");
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  // ---------------------------------------------------------------- cleanup

  // ---------------------------------------------------------------- as a JUnit 5 extension
  // Registered on a test class ({@code @RegisterExtension static final Topology topology =
  // Topology.named(..).build();}), the topology is started with `troupe up` before the class's
  // @BeforeAll methods, the clients a test attached are closed after each test, and everything it
  // started is stopped by PID after the last test (close()).

  @Override
  public void beforeAll(ExtensionContext context) {
    Assumptions.assumeTrue(precondition.getAsBoolean(), preconditionReason);
    if (upBeforeAll) {
      up();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    closeClients();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  /**
   * Closes the attached clients, live CLIs and watches, runs {@code troupe down} (which stops each
   * keeper first, and the keeper its JVM), then checks that every process this topology ever started
   * (services, their keepers, worker JVMs, CLIs) has exited. Whatever has not exited within 10 s is
   * killed by PID, keepers first (a keeper restarts the JVM it keeps), then whatever JVM a keeper
   * started meanwhile, and the test fails naming them.
   */
  @Override
  public void close() {
    closeClients();
    closeExtras();
    Run down;
    try {
      down = down();
    } catch (RuntimeException e) {
      down = new Run("troupe down", -1, "", e.toString(), Duration.ZERO, false);
    }
    List<ProcessHandle> all;
    synchronized (seen) {
      all = List.copyOf(seen);
    }
    List<ProcessHandle> left = stillAliveAfter(all, Duration.ofSeconds(10));
    try {
      try (var caches = Files.newDirectoryStream(runDir, "worker*.aot*")) { // ~35 MB each; the logs stay
        for (Path cache : caches) {
          Files.deleteIfExists(cache);
        }
      }
    } catch (IOException ignored) {
      // only disk space
    }
    if (!left.isEmpty()) {
      String what = describe(left);
      // Keepers first: a keeper restarts the JVM it keeps when that is killed.
      List<ProcessHandle> keepers = left.stream().filter(Topology::isAnyKeeper).toList();
      keepers.forEach(k -> k.descendants().forEach(this::remember));
      keepers.forEach(ProcessHandle::destroyForcibly);
      stillAliveAfter(keepers, Duration.ofSeconds(5));
      trackServices(); // a JVM a keeper started just before it was killed
      trackWorkers();
      synchronized (seen) {
        all = List.copyOf(seen);
      }
      List<ProcessHandle> rest = all.stream().filter(h -> !hasExited(h)).toList();
      rest.forEach(ProcessHandle::destroyForcibly);
      stillAliveAfter(rest, Duration.ofSeconds(5));
      throw new AssertionError("expected no JVM or keeper of this topology to be left after `troupe down`, but "
          + "had to kill " + what + "\n" + down.describe() + "\n" + diagnostics());
    }
  }

  // ---------------------------------------------------------------- environment

  static Path repoRoot() {
    String prop = System.getProperty("troupe.root");
    if (prop != null) {
      return Path.of(prop).toAbsolutePath().normalize();
    }
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isExecutable(p.resolve("scripts/troupe"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("cannot find scripts/troupe above " + Path.of("").toAbsolutePath()
          + "; set -Dtroupe.root");
    }
    return p;
  }

  private static Path targetDir() {
    String prop = System.getProperty("troupe.target");
    return prop != null ? Path.of(prop) : repoRoot().resolve("system-tests/target");
  }

  /** The test entries for worker JVMs: the entries jar the build makes, else the test classes. */
  static String testEntriesClasspath() {
    String jar = System.getProperty("troupe.entries.jar");
    if (jar != null && Files.isRegularFile(Path.of(jar))) {
      return jar;
    }
    // Running from an IDE before `mvn package`: a directory works, but without the AOT cache.
    return targetDir().resolve("test-classes").toString();
  }

  private static String javaHome() {
    String home = System.getenv("JAVA_HOME");
    return home != null && !home.isBlank() ? home : System.getProperty("java.home");
  }

  /** A free loopback port, never 7400-7402 (a developer's topology) nor one given out before. */
  private static int freePort() {
    synchronized (PORTS_TAKEN) {
      while (true) {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
          int p = s.getLocalPort();
          if ((p < 7400 || p > 7402) && PORTS_TAKEN.add(p)) {
            return p;
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }
}
