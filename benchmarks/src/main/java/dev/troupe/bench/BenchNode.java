package dev.troupe.bench;

import dev.troupe.bench.entries.BenchEntries;
import dev.troupe.client.ChannelSettings;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.grpc.RegistryClient;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.process.InJvmHost;
import dev.troupe.runtime.registry.Directory;
import dev.troupe.runtime.registry.InMemoryDirectory;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A bench node JVM, built as relay-service builds its node: one {@link Node} behind a
 * {@link NodeServer}, joining the registry, serving one host whose processes (the bench entries) run
 * in this JVM. Prints {@code READY host:port} and serves until SIGTERM.
 */
final class BenchNode {
  private BenchNode() {}

  static void run(Args a) throws Exception {
    String name = a.get("name");
    String host = a.get("host");
    String registry = a.get("registry", "");
    Directory directory = registry.isEmpty() ? new InMemoryDirectory()
        : new RegistryClient(registry, RegistryClient.Settings.defaults());
    AtomicReference<Node> ref = new AtomicReference<>();
    Node node = new Node(NodeConfig.defaults(name).withDefaultClientHost(name + ":clients"), directory,
        List.of(new InJvmHost(host, BenchEntries.catalog(), ref::get)));
    ref.set(node);
    if (directory instanceof RegistryClient rdc) {
      rdc.nextProcessId(node::nextProcessId);
    }
    NodeServer server = new NodeServer(node, "127.0.0.1", a.getInt("port", 0), ChannelSettings.defaults())
        .start();
    System.out.println("READY " + server.address());
    System.out.flush();
    server.runUntilShutdown();
  }
}
