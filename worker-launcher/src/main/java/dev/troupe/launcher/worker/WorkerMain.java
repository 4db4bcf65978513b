package dev.troupe.launcher.worker;

import dev.troupe.api.Pid;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.GrpcAttach;
import dev.troupe.lua.LuaEntryDefinition;
import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.grpc.RegistryClient;
import dev.troupe.runtime.node.LocalProcess;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.node.ProcessObserver;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.process.InJvmHost;
import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.Shard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker JVM: a node of its own that serves a range of its launcher's shared host (e.g. the ids
 * [0x100000000, 0x200000000) of {@code app:processes}) and runs many processes at once, each on its own
 * virtual thread with its own mailbox. Spawners reach it directly: nothing it sends or receives passes
 * through the launcher. A process that throws ends alone; only the JVM's own death (a signal, OOM,
 * {@code System.exit} in user code) ends them all, and its launcher then reports the cause to the
 * registry, which tells every node. It never outlives its launcher: when the launcher's OS process
 * ends it halts at once.
 *
 * <p>Arguments: {@code --registry HOST:PORT --node-name NAME --owner LAUNCHER --host HOST [--bind ADDR]
 * [--parent-pid PID] [--max-processes N] [--dedicated] [--isolated ID]... [--entry ID=CLASS|ID=lua:METHOD;MODULES;PATH]...
 * [--carrier-threads N]}; {@code --train} instead runs a short self-contained exchange, for recording the AOT configuration;
 * {@code --build-aot FILE --heap-mb N --carrier-threads N --parent-pid PID [--jvm-option OPTION]...} builds
 * the AOT cache (see JvmForker), training with the workers' flags and those options.
 */
public final class WorkerMain {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerMain.class);

  private WorkerMain() {}

  public static void main(String[] args) throws Exception {
    String registry = null;
    String nodeName = null;
    String owner = null;
    String host = null;
    String bind = "127.0.0.1";
    long parentPid = -1;
    int maxProcesses = dev.troupe.launcher.core.PoolSettings.DEFAULT_MAX_PROCESSES_PER_JVM;
    boolean dedicated = false;
    boolean train = false;
    boolean tokenFromStdin = false;
    String buildAot = null;
    int heapMb = dev.troupe.launcher.core.JvmForker.DEFAULT_HEAP_MB;
    int heapLimitPercent = dev.troupe.runtime.node.HeapGuard.DEFAULT_LIMIT_PERCENT;
    int carriers = dev.troupe.launcher.core.JvmForker.DEFAULT_CARRIER_THREADS;
    List<String> entries = new ArrayList<>();
    java.util.Set<String> isolated = new java.util.HashSet<>();
    List<String> jvmOptions = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--registry" -> registry = args[++i];
        case "--node-name" -> nodeName = args[++i];
        case "--owner" -> owner = args[++i];
        case "--host" -> host = args[++i];
        case "--bind" -> bind = args[++i];
        case "--parent-pid" -> parentPid = Long.parseLong(args[++i]);
        case "--max-processes" -> maxProcesses = Integer.parseInt(args[++i]);
        case "--dedicated" -> dedicated = true;
        case "--isolated" -> isolated.add(args[++i]);
        case "--entry" -> entries.add(args[++i]);
        case "--train" -> train = true;
        case dev.troupe.launcher.core.JvmForker.TOKEN_FROM_STDIN -> tokenFromStdin = true;
        case "--build-aot" -> buildAot = args[++i];
        case "--jvm-option" -> jvmOptions.add(args[++i]);
        case "--heap-mb" -> heapMb = Integer.parseInt(args[++i]);
        case "--heap-limit-percent" -> heapLimitPercent = Integer.parseInt(args[++i]);
        case "--carrier-threads" -> carriers = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("worker: unknown argument " + args[i]);
          Runtime.getRuntime().halt(2);
        }
      }
    }
    if (buildAot != null) {
      String javaBin = ProcessHandle.current().info().command().orElse("java");
      new dev.troupe.launcher.core.JvmForker(javaBin, System.getProperty("java.class.path"), heapMb,
          carriers, null, List.of(), null, jvmOptions).buildAot(java.nio.file.Path.of(buildAot), parentPid);
      Runtime.getRuntime().exit(0);
      return;
    }
    EntryCatalog catalog = catalog(entries);
    if (parentPid > 0) {
      // Never outlive the launcher, whether working or training the AOT cache.
      ProcessHandle.of(parentPid).ifPresentOrElse(
          h -> h.onExit().thenRun(() -> halt("launcher process " + h.pid() + " ended")),
          () -> halt("launcher process is already gone"));
    }
    AtomicLong ended = new AtomicLong(); // processes ended here: the carrier governor's sign of progress
    governCarriers(carriers, ended::get, nodeName == null ? "worker" : nodeName);
    if (train) {
      train(catalog);
      Runtime.getRuntime().exit(0);
      return;
    }
    if (registry == null || nodeName == null || owner == null || host == null) {
      System.err.println("worker: --registry, --node-name, --owner and --host are required");
      Runtime.getRuntime().halt(2);
    }
    RegistryClient directory = new RegistryClient(registry,
        RegistryClient.Settings.defaults());
    if (tokenFromStdin) {
      directory.memberToken(readMemberToken());
    }
    AtomicReference<Node> ref = new AtomicReference<>();
    Node node = new Node(NodeConfig.defaults(nodeName).withDefaultClientHost(nodeName + ":clients")
        .withHeapLimitPercent(heapLimitPercent), directory,
        List.of(new MemberHost(host, catalog, isolated, dedicated, owner, maxProcesses, ref::get)));
    ref.set(node);
    node.addObserver(new ProcessObserver() {
      @Override
      public void started(LocalProcess process) {}

      @Override
      public void exited(LocalProcess process, ExitResult result) {
        ended.incrementAndGet();
      }
    });
    directory.nextProcessId(node::nextProcessId);
    // Declared lost (silent too long): its processes were reported dead everywhere; stop.
    directory.onDeclaredLost(why -> halt("declared lost by the registry: " + why));
    NodeServer server = new NodeServer(node, bind, 0, ChannelSettings.defaults())
        .asMember(new Shard(host, 0, 0, owner, dedicated)).start();
    LOG.debug("{}: worker JVM serving {} ids from {}", node.label(), host, Pid.formatId(node.nextProcessId()));
    server.runUntilShutdown();
  }

  /**
   * Carriers start at one per core (JvmForker sets the scheduler's parallelism) and grow to
   * {@code ceiling} only while processes looping without blocking hold them (see CarrierGovernor); on a
   * JDK without the scheduler's MXBean, JvmForker starts the worker with the ceiling instead.
   */
  private static void governCarriers(int ceiling, LongSupplier progress, String label) {
    CarrierGovernor.available().ifPresent(s -> {
      int base = s.parallelism();
      if (ceiling > base) {
        new CarrierGovernor(CarrierGovernor.Settings.defaults(base, ceiling), s,
            r -> Thread.ofVirtual().start(r), progress, label).start();
      }
    });
  }

  /** The member token its launcher wrote on this JVM's standard input (one base64 line), then closed. */
  private static byte[] readMemberToken() throws java.io.IOException {
    var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.US_ASCII));
    String line = in.readLine();
    if (line == null || line.isBlank()) {
      System.err.println("worker: " + dev.troupe.launcher.core.JvmForker.TOKEN_FROM_STDIN
          + " given, but standard input holds no member token");
      Runtime.getRuntime().halt(2);
    }
    try {
      return java.util.Base64.getDecoder().decode(line.strip());
    } catch (IllegalArgumentException e) {
      System.err.println("worker: the member token on standard input is not base64: " + e.getMessage());
      Runtime.getRuntime().halt(2);
      return null;
    }
  }

  private static void halt(String why) {
    LOG.debug("worker pid {}: exiting: {}", ProcessHandle.current().pid(), why);
    Runtime.getRuntime().halt(0);
  }

  static EntryCatalog catalog(List<String> specs) {
    EntryCatalog catalog = new EntryCatalog();
    for (String spec : specs) {
      int eq = spec.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--entry takes ID=CLASS or ID=lua:METHOD;MODULES;PATH, got " + spec);
      }
      String id = spec.substring(0, eq);
      String what = spec.substring(eq + 1);
      if (LuaEntryDefinition.isArgument(what)) {
        catalog.register(id, LuaEntryDefinition.fromArgument(id, what).processHostEntry());
      } else {
        catalog.registerClass(id, what);
      }
    }
    return catalog;
  }

  /** Loads and runs what a worker uses (gRPC client and server, protobuf, the attach protocol). */
  private static void train(EntryCatalog catalog) throws Exception {
    catalog.register("train:echo", () -> (p, a) -> {
      var m = p.inbox().receive().value();
      p.send(m.from(), "reply", m.payload());
      return 0;
    });
    AtomicReference<Node> ref = new AtomicReference<>();
    Node node = new Node(NodeConfig.defaults("train"), new InMemoryDirectory(),
        List.of(new InJvmHost("app:train", catalog, ref::get)));
    ref.set(node);
    NodeServer server = new NodeServer(node, "127.0.0.1", 0, ChannelSettings.defaults()).start();
    AttachedProcess client = GrpcAttach.attach(server.address(), "", "train", Duration.ofSeconds(10));
    for (int i = 0; i < 20; i++) {
      String child = client.spawnMonitored("train:echo", "app:train");
      client.send(child, "ping", java.util.Map.of("i", i, "s", "x"));
      client.inbox().receive(Duration.ofSeconds(5));
      client.events().receive(Duration.ofSeconds(5));
    }
    client.close();
    server.close();
  }
}
