package dev.troupe.relay;

import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.grpc.PeerSettings;
import dev.troupe.runtime.grpc.RegistryDirectoryClient;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.process.InJvmHost;
import dev.troupe.runtime.process.ServiceSupervisor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The relay-service process: a node serving the relay's host and running the relay, supervised. */
@Command(name = "relay-service", mixinStandardHelpOptions = true,
    description = "Troupe relay-service: runs the Echo relay as a supervised process.")
public final class RelayMain implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RelayMain.class);

  @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--port", defaultValue = "7402", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port;

  @Option(names = "--registry", defaultValue = "127.0.0.1:7400", description = "Registry address (default: ${DEFAULT-VALUE}).")
  String registry;

  @Option(names = "--node-name", defaultValue = "relay", description = "This node's name (default: ${DEFAULT-VALUE}).")
  String nodeName;

  @Option(names = "--host", defaultValue = "app:relay", description = "Host the relay runs on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--worker-entry", defaultValue = RelaySettings.DEFAULT_WORKER_ENTRY, description = "Entry spawned per message (default: ${DEFAULT-VALUE}).")
  String workerEntry;

  @Option(names = "--worker-host", defaultValue = RelaySettings.DEFAULT_WORKER_HOST, description = "Host workers are spawned on (default: ${DEFAULT-VALUE}).")
  String workerHost;

  @Option(names = "--worker-delay-ms", defaultValue = "" + RelaySettings.DEFAULT_WORKER_DELAY_MS, description = "Each worker's wait before it answers (default: ${DEFAULT-VALUE}).")
  long workerDelayMs;

  @Option(names = "--stats-interval-ms", defaultValue = "" + RelaySettings.DEFAULT_STATS_INTERVAL_MS, description = "How often the relay logs its stats (default: ${DEFAULT-VALUE}).")
  long statsIntervalMs;

  @Option(names = "--restart-delay-ms", defaultValue = "1000", description = "Wait before restarting a crashed relay (default: ${DEFAULT-VALUE}).")
  long restartDelayMs;

  @Override
  public Integer call() throws Exception {
    EntryCatalog catalog = new EntryCatalog().register("app:relay", RelayProcess::new);
    RegistryDirectoryClient directory = new RegistryDirectoryClient(registry, RegistryDirectoryClient.Settings.defaults());
    AtomicReference<Node> ref = new AtomicReference<>();
    Node node = new Node(NodeConfig.defaults(nodeName).withDefaultClientHost(nodeName + ":clients"),
        directory, List.of(new InJvmHost(host, catalog, ref::get)));
    ref.set(node);
    directory.nextProcessId(node::nextProcessId);
    directory.onDeclaredLost(why -> Runtime.getRuntime().halt(3));
    NodeServer server = new NodeServer(node, bind, port, PeerSettings.defaults()).start();
    RelaySettings settings = new RelaySettings(workerEntry, workerHost, workerDelayMs, statsIntervalMs);
    ServiceSupervisor relay = new ServiceSupervisor(node, "relay-service", "app:relay", host,
        settings.toArgs(), new ServiceSupervisor.RestartPolicy(Duration.ofMillis(restartDelayMs),
            ServiceSupervisor.RestartPolicy.DEFAULT_JITTER, 0)).start();
    LOG.info("{}: relay-service ready at {}", node.label(), server.address());
    server.runUntilShutdown();
    relay.close();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new RelayMain()).execute(args));
  }
}
