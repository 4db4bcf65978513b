package dev.troupe.runtime.service;

import dev.troupe.client.ChannelSettings;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.grpc.RegistryClient;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.ProcessHost;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Starts a service's node that joins a registry: the registry link, the node with its hosts, the gRPC
 * server. A node the registry declares lost stops its OS process (fail-stop) after {@code onLost}.
 */
public final class JoinedNode {
  private JoinedNode() {}

  /**
   * @param hosts makes the node's hosts; they get the node late, through the supplier
   * @param onLost cleanup before the process stops because the registry declared it lost
   */
  public static NodeServer start(NodeOptions options, Function<Supplier<Node>, List<? extends ProcessHost>> hosts,
      Runnable onLost) throws IOException {
    return start(options, hosts, onLost, false);
  }

  /** As above; with {@code deferServing} health says NOT_SERVING until the caller marks it serving. */
  public static NodeServer start(NodeOptions options, Function<Supplier<Node>, List<? extends ProcessHost>> hosts,
      Runnable onLost, boolean deferServing) throws IOException {
    return start(options, hosts, onLost, deferServing, null);
  }

  /**
   * As above, for a node that forks members (a launcher): it announces {@code memberKey}, with which
   * the tokens of its members are made (see NodeCredentials); null for none.
   */
  public static NodeServer start(NodeOptions options, Function<Supplier<Node>, List<? extends ProcessHost>> hosts,
      Runnable onLost, boolean deferServing, byte[] memberKey) throws IOException {
    RegistryClient directory = new RegistryClient(options.registry,
        RegistryClient.Settings.defaults());
    if (memberKey != null) {
      directory.memberKey(memberKey);
    }
    AtomicReference<Node> ref = new AtomicReference<>();
    Node node = new Node(options.config(options.nodeName + ":clients"), directory, hosts.apply(ref::get));
    ref.set(node);
    directory.nextProcessId(node::nextProcessId);
    directory.onDeclaredLost(why -> {
      onLost.run();
      Runtime.getRuntime().halt(3);
    });
    NodeServer server = new NodeServer(node, options.bind, options.port, ChannelSettings.defaults());
    if (deferServing) {
      server.deferServing();
    }
    return server.start();
  }
}
