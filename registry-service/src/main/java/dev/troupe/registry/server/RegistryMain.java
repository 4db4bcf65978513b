package dev.troupe.registry.server;

import dev.troupe.client.ChannelSettings;
import dev.troupe.client.TransportSecurity;
import dev.troupe.registry.core.Liveness;
import dev.troupe.registry.grpc.RegistryGrpcService;
import dev.troupe.registry.observer.ObserverServer;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.node.Node;
import dev.troupe.registry.etcd.EtcdDirectory;
import dev.troupe.registry.etcd.EtcdSettings;
import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.RegistryStore;
import dev.troupe.runtime.service.NodeOptions;
import dev.troupe.runtime.service.ServiceCommandLine;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** The registry-service process: the directory of the topology, and a node clients attach to. */
@Command(name = "registry-service", mixinStandardHelpOptions = true,
    description = "Troupe registry: cluster-wide names, the host directory, node liveness.")
public final class RegistryMain implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryMain.class);

  @Mixin
  NodeOptions node = new NodeOptions("registry", 7400);

  @Option(names = "--client-host", defaultValue = "app:clients",
      description = "Host that attached clients get PIDs on (default: ${DEFAULT-VALUE}).")
  String clientHost;

  @Option(names = "--liveness-timeout-ms", defaultValue = "2500",
      description = "Silence after which a node is declared lost (default: ${DEFAULT-VALUE}).")
  long livenessTimeoutMs;

  @Option(names = "--http-port", description = "Serve Troupe Observer, the live web view of the topology, at http://HTTP_BIND:PORT/ (default: off; 0 picks a free port).")
  Integer httpPort;

  @Option(names = "--http-bind", defaultValue = "127.0.0.1", description = "Address the Observer listens on (default: ${DEFAULT-VALUE}).")
  String httpBind;

  /** Where the directory is kept. */
  enum Store { memory, etcd }

  @Option(names = "--store", defaultValue = "memory",
      description = "Where the directory lives: memory (this registry alone; default) or etcd (shared by every"
          + " registry replica over one etcd cluster; needs --etcd-endpoints). Values: ${COMPLETION-CANDIDATES}.")
  Store store;

  @Option(names = "--etcd-endpoints", description = "etcd client URLs, comma-separated, e.g."
      + " http://10.0.0.1:2379,http://10.0.0.2:2379 (with --store etcd).")
  String etcdEndpoints;

  @Option(names = "--etcd-prefix", defaultValue = "/troupe/",
      description = "Key prefix of this topology in etcd (default: ${DEFAULT-VALUE}).")
  String etcdPrefix;

  @Option(names = "--etcd-lease-ttl-s", defaultValue = "10",
      description = "TTL of a node's etcd lease, the backstop that removes the nodes of a replica that died"
          + " with them; a live replica revokes a lost node's lease at once (default: ${DEFAULT-VALUE}).")
  long etcdLeaseTtlSeconds;

  private RegistryStore openStore() {
    if (store == Store.memory) {
      if (etcdEndpoints != null) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "--etcd-endpoints needs --store etcd (the default store is memory)");
      }
      return new InMemoryDirectory();
    }
    if (etcdEndpoints == null || etcdEndpoints.isBlank()) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--store etcd needs --etcd-endpoints http://HOST:2379[,...]");
    }
    EtcdSettings settings = EtcdSettings.of(etcdEndpoints).withPrefix(etcdPrefix)
        .withLeaseTtl(Duration.ofSeconds(etcdLeaseTtlSeconds));
    EtcdDirectory d = EtcdDirectory.open(settings);
    LOG.info("registry: directory in etcd at {} under {}", settings.endpoints(), settings.prefix());
    return d;
  }

  @Override
  public Integer call() throws Exception {
    RegistryStore directory = openStore();
    directory.node(node.nodeName).ifPresent(live -> {
      // Another replica over the same etcd runs as this node name (each replica is a node of its own).
      directory.close();
      throw new CommandLine.ParameterException(new CommandLine(this), "node " + live.label() + " at "
          + live.address() + " is live in this store: give each registry replica its own --node-name and"
          + " --client-host (e.g. --node-name registry-2 --client-host app:clients-2)");
    });
    Liveness liveness = new Liveness(Duration.ofMillis(livenessTimeoutMs), System::currentTimeMillis);
    Node n = new Node(node.config(clientHost), directory, List.of());
    RegistryGrpcService registry = new RegistryGrpcService(directory, liveness, n.label());
    NodeServer server = new NodeServer(n, node.bind, node.port, ChannelSettings.defaults()).addService(registry)
        .beforeClose(registry::stop);
    server.start();
    registry.answeredBy(n.config().name() + " at " + server.address());
    SelfLoss selfLoss = new SelfLoss(n.self());
    directory.addListener(selfLoss);
    server.beforeClose(selfLoss::leaving);
    var metrics = node.serveMetrics(server);
    if (metrics != null) {
      RegistryMetrics.register(metrics.registry(), directory, registry);
    }
    if (httpPort != null) {
      ObserverServer observer = ObserverServer.start(n, directory, httpBind, httpPort, TransportSecurity.process());
      server.beforeClose(observer::close);
    }
    ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "liveness");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(50, livenessTimeoutMs / 10);
    checker.scheduleAtFixedRate(registry::checkLiveness, period, period, TimeUnit.MILLISECONDS);
    // The registry's own node has no stream to heartbeat on: it records its ids itself, so that a
    // restarted registry over a shared store never gives a client an earlier life's PID.
    checker.scheduleAtFixedRate(() -> directory.noteNextProcessId(n.config().name(), n.nextProcessId()),
        500, 500, TimeUnit.MILLISECONDS);
    LOG.info("{}: registry ready at {}", n.label(), server.address());
    server.runUntilShutdown();
    directory.close(); // after the node left the directory
    return 0;
  }

  /**
   * This replica's own node was declared lost (over a shared store: its host was cut off from etcd
   * longer than its lease): every node has heard it dead, so it stops, as any node does (fail-stop),
   * and its keeper starts a new life.
   */
  private static final class SelfLoss implements dev.troupe.runtime.registry.DirectoryListener {
    private final dev.troupe.runtime.registry.NodeRecord self;
    /** Set when this registry stops: its node then leaves, which is no loss. */
    private volatile boolean leaving;

    SelfLoss(dev.troupe.runtime.registry.NodeRecord self) {
      this.self = self;
    }

    void leaving() {
      leaving = true;
    }

    @Override
    public void nodeLost(dev.troupe.runtime.registry.NodeRecord lost, String reason) {
      if (!leaving && lost.name().equals(self.name()) && lost.incarnation() == self.incarnation()) {
        LOG.error("{}: this registry's own node was declared lost ({}); stopping so that a new life starts",
            self.label(), reason);
        Runtime.getRuntime().halt(3);
      }
    }

    @Override
    public void nodeUp(dev.troupe.runtime.registry.NodeRecord up) {}

    @Override
    public void nameChanged(String name, dev.troupe.api.Pid owner) {}
  }

  public static void main(String[] args) {
    System.exit(ServiceCommandLine.execute(new RegistryMain(), args));
  }
}
