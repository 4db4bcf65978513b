package dev.troupe.launcher.server;

import dev.troupe.launcher.core.JvmForker;
import dev.troupe.launcher.core.PoolSettings;
import dev.troupe.launcher.core.WorkerPool;
import dev.troupe.launcher.core.WorkerPoolHost;
import dev.troupe.launcher.topology.TopologyFile;
import dev.troupe.launcher.topology.TopologyLoader;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.process.ServiceSupervisor;
import dev.troupe.runtime.service.JoinedNode;
import dev.troupe.runtime.service.NodeOptions;
import dev.troupe.runtime.service.ServiceCommandLine;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** The worker-launcher process: serves a process host whose processes run in forked worker JVMs. */
@Command(name = "worker-launcher", mixinStandardHelpOptions = true,
    description = "Troupe worker launcher: a process host backed by a warm pool of worker JVMs.")
public final class LauncherMain implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(LauncherMain.class);

  @Mixin
  NodeOptions node = new NodeOptions("launcher", 7401);

  @Option(names = "--host", defaultValue = "app:processes", description = "The process host served (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--entry", description = "An entry workers can run, as ID=CLASS (repeatable), e.g. app:worker=dev.troupe.examples.echo.EchoWorker.")
  List<String> entries = new ArrayList<>();

  @Option(names = "--worker-classpath", defaultValue = "", description = "Extra jars for worker JVMs (the entries' code).")
  String workerClasspath;

  // Defaults derived from the cores are not constants: applied in call().
  @Option(names = "--min-spares", description = "Worker JVMs kept running even when idle (default: one per core).")
  Integer minSpares;

  @Option(names = "--max-workers", description = "Most live worker JVMs, shared and isolated (default: 4 per core, at least 8).")
  Integer maxWorkers;

  @Option(names = "--max-processes-per-jvm", defaultValue = "" + PoolSettings.DEFAULT_MAX_PROCESSES_PER_JVM, description = "Most processes one shared worker JVM hosts at once (default: ${DEFAULT-VALUE}).")
  int maxProcessesPerJvm;

  @Option(names = "--worker-carrier-threads", description = "Virtual-thread carriers of each worker JVM: how many of its processes can hold a CPU at once (default: 4 per core, at least 8).")
  Integer carrierThreads;

  @Option(names = "--isolate", description = "An entry (ID) whose processes each get a worker JVM of their own, like isolation: jvm in a topology file (repeatable).")
  List<String> isolate = new ArrayList<>();

  @Option(names = "--max-concurrent-starts", defaultValue = "" + PoolSettings.DEFAULT_MAX_CONCURRENT_STARTS, description = "Most JVMs starting at once (default: ${DEFAULT-VALUE}).")
  int maxConcurrentStarts;

  @Option(names = "--idle-reap-ms", defaultValue = "60000", description = "Stop spares above the minimum idle this long (default: ${DEFAULT-VALUE}).")
  long idleReapMs;

  @Option(names = "--worker-heap-mb", defaultValue = "" + JvmForker.DEFAULT_HEAP_MB, description = "-Xmx of each worker JVM (default: ${DEFAULT-VALUE}).")
  int heapMb;

  @Option(names = "--worker-heap-limit-percent", defaultValue = "" + dev.troupe.runtime.node.HeapGuard.DEFAULT_LIMIT_PERCENT,
      description = "A worker JVM whose heap is fuller than this after collection takes no new process: spawns go to"
          + " another JVM, or a new one (100: off; default: ${DEFAULT-VALUE}).")
  int heapLimitPercent;

  @Option(names = "--worker-jvm-option", paramLabel = "OPTION", description = "A JVM option for every worker JVM"
      + " (repeatable), after the launcher's own flags so that it wins, e.g. --worker-jvm-option=-XX:+HeapDumpOnOutOfMemoryError;"
      + " a collector named here replaces the default one. Not: the class path, -Xmx (--worker-heap-mb), the AOT cache.")
  List<String> workerJvmOptions = new ArrayList<>();

  @Option(names = "--topology", description = "Topology file (hosts, process.java entries, process.service entries); see docs/configuration.md.")
  Path topologyFile;

  @Option(names = "--aot-cache", description = "AOT cache for worker JVMs, e.g. worker.aot: the file is"
      + " worker-FINGERPRINT.aot (of the JDK, the worker class path and JVM flags); built on start when missing.")
  Path aotCache;

  @Override
  public Integer call() throws Exception {
    if (minSpares == null) {
      minSpares = PoolSettings.DEFAULT_MIN_SPARES;
    }
    if (maxWorkers == null) {
      maxWorkers = Math.max(PoolSettings.DEFAULT_MAX_WORKERS, minSpares);
    }
    if (carrierThreads == null) {
      carrierThreads = JvmForker.DEFAULT_CARRIER_THREADS;
    }
    TopologyFile topology = topologyFile == null
        ? new TopologyFile(List.of(host), List.of(), java.util.Map.of(), List.of(), java.util.Set.of())
        : TopologyLoader.load(topologyFile);
    List<String> hosts = topology.hosts().isEmpty() ? List.of(host) : topology.hosts();
    entries.addAll(topology.entrySpecs());
    Set<String> entryIds = new LinkedHashSet<>();
    for (String e : entries) {
      int eq = e.indexOf('=');
      if (eq <= 0) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--entry takes ID=CLASS, got " + e);
      }
      entryIds.add(e.substring(0, eq));
    }
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    String cp = System.getProperty("java.class.path")
        + (workerClasspath.isEmpty() ? "" : File.pathSeparator + workerClasspath);
    Set<String> isolated = new LinkedHashSet<>(topology.isolated());
    isolated.addAll(isolate);
    if (!entryIds.containsAll(isolated)) {
      isolated.removeAll(entryIds);
      throw new CommandLine.ParameterException(new CommandLine(this), "--isolate names unknown entries "
          + isolated + "; known: " + entryIds);
    }
    PoolSettings settings = new PoolSettings(minSpares, maxWorkers, maxConcurrentStarts,
        Duration.ofMillis(idleReapMs), maxProcessesPerJvm, PoolSettings.DEFAULT_START_TIMEOUT,
        PoolSettings.DEFAULT_LOAD_POLL_INTERVAL, PoolSettings.DEFAULT_START_RETRY_BACKOFF,
        PoolSettings.DEFAULT_CRASH_REPLACE_DELAY);
    if (hosts.size() != 1) {
      throw new CommandLine.ParameterException(new CommandLine(this), "a launcher serves one host with its"
          + " worker JVMs; the topology names " + hosts);
    }
    // What every worker JVM is told: it joins the registry as a member of this launcher's host.
    List<String> workerArgs = new ArrayList<>(List.of("--registry", node.registry, "--bind", node.bind,
        "--owner", node.nodeName, "--host", hosts.get(0), "--max-processes", Integer.toString(maxProcessesPerJvm),
        "--heap-limit-percent", Integer.toString(heapLimitPercent)));
    for (String e : entries) {
      workerArgs.add("--entry");
      workerArgs.add(e);
    }
    for (String e : isolated) {
      workerArgs.add("--isolated");
      workerArgs.add(e);
    }
    if (heapMb < JvmForker.MIN_HEAP_MB) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--worker-heap-mb must be at least "
          + JvmForker.MIN_HEAP_MB + " (a worker JVM's gRPC server and first processes need it); got " + heapMb);
    }
    // Only the worker JVMs forked here can show a member token made with it (see NodeCredentials).
    byte[] memberKey = dev.troupe.runtime.registry.NodeCredentials.newToken();
    JvmForker forker;
    try {
      forker = new JvmForker(javaBin, cp, heapMb, carrierThreads, aotCache, workerArgs, memberKey, workerJvmOptions);
    } catch (IllegalArgumentException e) { // an option refused by WorkerJvmOptions
      throw new CommandLine.ParameterException(new CommandLine(this), "--worker-jvm-option: " + e.getMessage());
    }
    Optional<String> refusal = forker.jvmRefusal();
    if (refusal.isPresent()) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--worker-jvm-option: the JVM refuses the worker JVMs' options " + workerJvmOptions + ": " + refusal.get());
    }

    // The pool needs the node, known after start: read late.
    AtomicReference<NodeServer> started = new AtomicReference<>();
    GrpcLoadProbe probe = new GrpcLoadProbe();
    WorkerPool pool = new WorkerPool(settings, forker, probe,
        () -> started.get() == null ? null : started.get().node());
    NodeServer server = JoinedNode.start(node,
        n -> hosts.stream().map(h -> new WorkerPoolHost(h, entryIds, isolated, pool)).toList(), pool::close,
        true, memberKey);
    started.set(server);
    var metrics = this.node.serveMetrics(server);
    if (metrics != null) {
      PoolMetrics.register(metrics.registry(), pool);
    }
    Node node = server.node();
    node.onPeerUp(pool::onMemberUp);
    if (aotCache != null) {
      // Trained in the background: the pool starts at once without the cache, and workers forked
      // after the cache is complete use it.
      Thread.ofVirtual().name("aot-training").start(() -> {
        long t0 = System.nanoTime();
        try {
          var cache = forker.ensureAotCache();
          LOG.info("{}: AOT cache {} {} ({} ms)", server.node().label(), cache.orElse(forker.aotCacheFile()),
              cache.isPresent() ? "ready" : "unavailable", (System.nanoTime() - t0) / 1_000_000);
        } catch (Exception e) {
          LOG.warn("{}: expected to build the AOT cache {}, but: {}", server.node().label(), aotCache, e.toString());
        }
      });
    }
    pool.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      pool.close();
      probe.close();
    }, "stop-workers"));
    List<ServiceSupervisor> services = new java.util.ArrayList<>();
    for (TopologyFile.Service s : topology.services()) {
      if (s.autoStart()) {
        services.add(new ServiceSupervisor(node, s.id(), s.process(), s.host(), s.input(),
            new ServiceSupervisor.RestartPolicy(s.restartDelay(), s.jitter(), s.maxAttempts())).start());
      }
    }
    // Ready when the first spare has attached (a spawn right after 'troupe up' is served at once) and
    // each service has started (a client started right after finds what the services register).
    CompletableFuture<?>[] ready = Stream.concat(
        Stream.of(settings.minSpares() == 0 ? CompletableFuture.<Void>completedFuture(null) : pool.firstSpare()),
        services.stream().map(ServiceSupervisor::firstStart)).toArray(CompletableFuture[]::new);
    CompletableFuture.allOf(ready)
        .orTimeout(PoolSettings.DEFAULT_START_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .whenComplete((v, t) -> {
          server.markServing();
          LOG.info("{}: serving with pool {}", server.node().label(), pool.stats());
        });
    LOG.info("{}: launcher ready at {} serving {} with entries {} (isolated: {}) and {} services (pool: {})",
        node.label(), server.address(), hosts, entryIds, isolated, services.size(), settings);
    server.runUntilShutdown();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(ServiceCommandLine.execute(new LauncherMain(), args));
  }
}
