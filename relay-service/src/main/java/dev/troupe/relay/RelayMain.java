package dev.troupe.relay;

import dev.troupe.examples.echo.RelayProcess;
import dev.troupe.examples.echo.RelaySettings;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.process.InJvmHost;
import dev.troupe.runtime.process.ServiceSupervisor;
import dev.troupe.runtime.service.JoinedNode;
import dev.troupe.runtime.service.NodeOptions;
import dev.troupe.runtime.service.ServiceCommandLine;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The relay-service process: a node serving the relay's host and running the relay, supervised. */
@Command(name = "relay-service", mixinStandardHelpOptions = true,
    description = "Troupe relay-service: runs the Echo relay as a supervised process.")
public final class RelayMain implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(RelayMain.class);

  @Mixin
  NodeOptions node = new NodeOptions("relay", 7402);

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
    NodeServer server = JoinedNode.start(node, n -> List.of(new InJvmHost(host, catalog, n)), () -> {});
    node.serveMetrics(server);
    RelaySettings settings = new RelaySettings(workerEntry, workerHost, workerDelayMs, statsIntervalMs);
    ServiceSupervisor relay = new ServiceSupervisor(server.node(), "relay-service", "app:relay", host,
        settings.toArgs(), new ServiceSupervisor.RestartPolicy(Duration.ofMillis(restartDelayMs),
            ServiceSupervisor.RestartPolicy.DEFAULT_JITTER, 0)).start();
    LOG.info("{}: relay-service ready at {}", server.node().label(), server.address());
    server.runUntilShutdown();
    relay.close();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(ServiceCommandLine.execute(new RelayMain(), args));
  }
}
