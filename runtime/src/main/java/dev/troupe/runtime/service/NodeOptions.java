package dev.troupe.runtime.service;

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

  @Option(names = "--registry", description = "Registry address to join (default: ${DEFAULT-VALUE}).")
  public String registry = "127.0.0.1:7400";

  @Option(names = "--node-name", description = "This node's name, unique in the topology (default: ${DEFAULT-VALUE}).")
  public String nodeName;

  @Option(names = "--max-payload-bytes", description = "Largest message payload accepted (default: ${DEFAULT-VALUE}).")
  public int maxPayloadBytes = dev.troupe.runtime.node.NodeConfig.DEFAULT_MAX_PAYLOAD_BYTES;

  @Option(names = "--max-mailbox", description = "Messages queued for one process before sends to it are refused (default: ${DEFAULT-VALUE}).")
  public int maxMailbox = dev.troupe.runtime.node.NodeConfig.DEFAULT_MAX_MAILBOX;

  public NodeOptions() {}

  public NodeOptions(String nodeName, int port) {
    this.nodeName = nodeName;
    this.port = port;
  }

  /** The node's settings; attached clients get PIDs on {@code clientHost}. */
  public dev.troupe.runtime.node.NodeConfig config(String clientHost) {
    return dev.troupe.runtime.node.NodeConfig.defaults(nodeName).withDefaultClientHost(clientHost)
        .withMaxPayloadBytes(maxPayloadBytes).withMaxMailbox(maxMailbox);
  }
}
