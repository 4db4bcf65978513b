package dev.troupe.registry.server;

import dev.troupe.registry.core.Liveness;
import dev.troupe.registry.grpc.RegistryGrpcService;
import dev.troupe.runtime.directory.InMemoryDirectory;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.grpc.PeerSettings;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.NodeConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The registry-service process: the directory of the topology, and a node clients attach to. */
@Command(name = "registry-service", mixinStandardHelpOptions = true,
    description = "Troupe registry: cluster-wide names, the host directory, node liveness.")
public final class RegistryMain implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryMain.class);

  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--port", defaultValue = "7400", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port;

  @Option(names = "--node-name", defaultValue = "registry", description = "This node's name (default: ${DEFAULT-VALUE}).")
  String nodeName;

  @Option(names = "--client-host", defaultValue = "app:clients",
      description = "Host that attached clients get PIDs on (default: ${DEFAULT-VALUE}).")
  String clientHost;

  @Option(names = "--liveness-timeout-ms", defaultValue = "3000",
      description = "Silence after which a node is declared lost (default: ${DEFAULT-VALUE}).")
  long livenessTimeoutMs;

  @Option(names = "--max-payload-bytes", defaultValue = "1048576",
      description = "Largest message payload accepted (default: ${DEFAULT-VALUE}).")
  int maxPayloadBytes;

  @Override
  public Integer call() throws Exception {
    InMemoryDirectory directory = new InMemoryDirectory();
    Liveness liveness = new Liveness(Duration.ofMillis(livenessTimeoutMs), System::currentTimeMillis);
    NodeConfig config = NodeConfig.defaults(nodeName).withDefaultClientHost(clientHost)
        .withMaxPayloadBytes(maxPayloadBytes);
    Node node = new Node(config, directory, List.of());
    RegistryGrpcService registry = new RegistryGrpcService(directory, liveness, nodeName);
    NodeServer server = new NodeServer(node, bind, port, PeerSettings.defaults()).addService(registry);
    server.start();
    ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "liveness");
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(50, livenessTimeoutMs / 6);
    checker.scheduleAtFixedRate(registry::checkLiveness, period, period, TimeUnit.MILLISECONDS);
    LOG.info("{} pid {}: registry ready at {}", node.label(), ProcessHandle.current().pid(), server.address());
    server.runUntilShutdown();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new RegistryMain()).execute(args));
  }
}
