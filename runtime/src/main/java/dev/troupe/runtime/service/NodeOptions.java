package dev.troupe.runtime.service;

import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.metrics.NodeMetrics;
import java.io.IOException;
import picocli.CommandLine.Option;

/**
 * The options every service's node takes, shared as a picocli mixin. Each service sets its own
 * defaults by constructing it ({@code @Mixin NodeOptions node = new NodeOptions("relay", 7402)}).
 */
public final class NodeOptions {
  @Option(names = "--bind", description = "Address to listen on (default: ${DEFAULT-VALUE}; loopback unless told otherwise).")
  public String bind = "127.0.0.1";

  @Option(names = "--port", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  public int port;

  @Option(names = "--registry", description = "Registry address to join, or the addresses of several registry replicas, comma-separated (the node moves to the next when one goes away; default: ${DEFAULT-VALUE}).")
  public String registry = "127.0.0.1:7400";

  @Option(names = "--node-name", description = "This node's name, unique in the topology (default: ${DEFAULT-VALUE}).")
  public String nodeName;

  @Option(names = "--max-payload-bytes", description = "Largest message payload accepted (default: ${DEFAULT-VALUE}).")
  public int maxPayloadBytes = dev.troupe.runtime.node.NodeConfig.DEFAULT_MAX_PAYLOAD_BYTES;

  @Option(names = "--max-mailbox", description = "Messages queued for one process before sends to it are refused (default: ${DEFAULT-VALUE}).")
  public int maxMailbox = dev.troupe.runtime.node.NodeConfig.DEFAULT_MAX_MAILBOX;

  @Option(names = "--heap-limit-percent", description = "Above this share of its heap in use after collection,"
      + " the node takes no new process (100: off; default: ${DEFAULT-VALUE}).")
  public int heapLimitPercent = dev.troupe.runtime.node.HeapGuard.DEFAULT_LIMIT_PERCENT;

  @Option(names = "--metrics-port", description = "Serve Prometheus metrics at http://BIND:PORT/metrics (default: off; 0 picks a free port).")
  public Integer metricsPort;

  @Option(names = "--metrics-bind", description = "Address the metrics endpoint listens on (default: ${DEFAULT-VALUE}).")
  public String metricsBind = "127.0.0.1";

  public NodeOptions() {}

  /**
   * Serves {@code server}'s node's metrics when {@code --metrics-port} is set, until the server
   * closes; returns them (to add a service's own families), or null when metrics are off.
   */
  public NodeMetrics serveMetrics(NodeServer server) throws IOException {
    if (metricsPort == null) {
      return null;
    }
    NodeMetrics metrics = NodeMetrics.serve(server, metricsBind, metricsPort);
    server.beforeClose(metrics::close);
    return metrics;
  }

  public NodeOptions(String nodeName, int port) {
    this.nodeName = nodeName;
    this.port = port;
  }

  /** The node's settings; attached clients get PIDs on {@code clientHost}. */
  public dev.troupe.runtime.node.NodeConfig config(String clientHost) {
    return dev.troupe.runtime.node.NodeConfig.defaults(nodeName).withDefaultClientHost(clientHost)
        .withMaxPayloadBytes(maxPayloadBytes).withMaxMailbox(maxMailbox).withHeapLimitPercent(heapLimitPercent);
  }
}
