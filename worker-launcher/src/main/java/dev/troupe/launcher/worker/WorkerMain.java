package dev.troupe.launcher.worker;

import dev.troupe.runtime.grpc.Channels;
import dev.troupe.runtime.grpc.GrpcAttach;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.grpc.PeerSettings;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.process.AttachConnection;
import dev.troupe.runtime.process.AttachedProcess;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.process.InJvmHost;
import dev.troupe.runtime.process.ProcessRunner;
import dev.troupe.runtime.directory.InMemoryDirectory;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker JVM: attaches to its launcher as a worker and runs the processes the launcher assigns,
 * many at once over that one stream, each on its own virtual thread with its own mailbox. A process
 * that throws ends alone; only the JVM's own death (a signal, OOM, {@code System.exit} in user code)
 * ends them all, and the launcher then reports each of their ends. It never outlives its launcher: when the stream closes or the launcher's OS process
 * ends, it halts at once (a deliberate fast exit: a JVM that used gRPC otherwise lingers for ~0.3-1 s).
 *
 * <p>Arguments: {@code --launcher HOST:PORT --worker-id ID [--parent-pid PID] [--entry ID=CLASS]...};
 * {@code --train} instead runs a short self-contained exchange, for recording the AOT configuration;
 * {@code --build-aot FILE --heap-mb N --carrier-threads N --parent-pid PID} builds the AOT cache (see JvmForker).
 */
public final class WorkerMain {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerMain.class);

  private WorkerMain() {}

  public static void main(String[] args) throws Exception {
    String launcher = null;
    String workerId = null;
    long parentPid = -1;
    boolean train = false;
    String buildAot = null;
    int heapMb = dev.troupe.launcher.core.JvmForker.DEFAULT_HEAP_MB;
    int carriers = dev.troupe.launcher.core.JvmForker.DEFAULT_CARRIER_THREADS;
    List<String> entries = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--launcher" -> launcher = args[++i];
        case "--worker-id" -> workerId = args[++i];
        case "--parent-pid" -> parentPid = Long.parseLong(args[++i]);
        case "--entry" -> entries.add(args[++i]);
        case "--train" -> train = true;
        case "--build-aot" -> buildAot = args[++i];
        case "--heap-mb" -> heapMb = Integer.parseInt(args[++i]);
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
          carriers, java.nio.file.Path.of(buildAot), "", List.of()).buildAot(parentPid);
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
    if (train) {
      train(catalog);
      Runtime.getRuntime().exit(0);
      return;
    }
    if (launcher == null || workerId == null) {
      System.err.println("worker: --launcher and --worker-id are required");
      Runtime.getRuntime().halt(2);
    }
    ManagedChannel channel = Channels.open(launcher, PeerSettings.defaults());
    AttachConnection conn = GrpcAttach.open(channel, new AttachConnection(AttachConnection.DEFAULT_REQUEST_TIMEOUT));
    ProcessRunner runner = new ProcessRunner(catalog);
    String id = workerId;
    conn.onAssigned(p -> {
      LOG.debug("worker {} pid {}: running {} as {}", id, ProcessHandle.current().pid(), p.entry(), p.pid());
      runner.start(p);
    });
    conn.onClosed(t -> halt("stream to the launcher closed"));
    conn.hello("", "worker " + workerId, workerId);
    new CountDownLatch(1).await(); // runs until halted
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
        throw new IllegalArgumentException("--entry takes ID=CLASS, got " + spec);
      }
      catalog.registerClass(spec.substring(0, eq), spec.substring(eq + 1));
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
    NodeServer server = new NodeServer(node, "127.0.0.1", 0, PeerSettings.defaults()).start();
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
