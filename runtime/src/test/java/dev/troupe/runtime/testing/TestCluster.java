package dev.troupe.runtime.testing;

import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.GrpcAttach;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.node.ProcessHost;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.process.InJvmHost;
import dev.troupe.runtime.process.LocalAttach;
import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.RegistryStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Several Troupe nodes in one JVM, each a real gRPC server on a loopback port, sharing one embedded
 * directory (as a registry would serve it). Node "n1" serves host "app:n1", and so on; every node runs
 * the entries of the shared catalog in its own JVM. Close it to stop every node and client.
 */
public final class TestCluster implements AutoCloseable {
  private final RegistryStore directory;
  private final EntryCatalog catalog;
  private final Map<String, NodeServer> servers = new LinkedHashMap<>();
  private final List<AttachedProcess> clients = new ArrayList<>();

  public TestCluster(EntryCatalog catalog) {
    this(catalog, new InMemoryDirectory());
  }

  /** A cluster whose nodes share {@code directory} (e.g. a registry store in etcd). */
  public TestCluster(EntryCatalog catalog, RegistryStore directory) {
    this.catalog = catalog;
    this.directory = directory;
  }

  /** Starts a node named {@code name} serving host {@code "app:" + name} on a loopback port. */
  public NodeServer startNode(String name) {
    return startNode(NodeConfig.defaults(name).withDefaultClientHost("app:" + name + "-clients"));
  }

  public NodeServer startNode(NodeConfig config) {
    return startNode(config, directory);
  }

  /**
   * Starts a node on its own {@code store}: e.g. another replica's view of the same etcd, as nodes
   * joined to different registry replicas are.
   */
  public NodeServer startNode(NodeConfig config, RegistryStore store) {
    AtomicReference<Node> ref = new AtomicReference<>();
    List<ProcessHost> hosts = List.of(new InJvmHost("app:" + config.name(), catalog, ref::get));
    Node node = new Node(config, store, hosts);
    ref.set(node);
    NodeServer server = new NodeServer(node, "127.0.0.1", 0, ChannelSettings.defaults());
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    servers.put(config.name(), server);
    return server;
  }

  /**
   * Starts node {@code name} as a member of shared host {@code host} owned by node {@code owner} (as a
   * launcher's worker JVM is): it runs the host's processes whose ids fall in the range the directory
   * assigns it.
   */
  public NodeServer startMember(String name, String host, String owner) {
    AtomicReference<Node> ref = new AtomicReference<>();
    Node node = new Node(NodeConfig.defaults(name).withDefaultClientHost("app:" + name + "-clients")
        .withMemberLossWait(Duration.ofSeconds(5)), directory, List.of(new InJvmHost(host, catalog, ref::get)));
    ref.set(node);
    NodeServer server = new NodeServer(node, "127.0.0.1", 0, ChannelSettings.defaults())
        .asMember(new dev.troupe.runtime.registry.Shard(host, 0, 0, owner, false));
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    servers.put(name, server);
    return server;
  }

  public NodeServer server(String name) {
    return servers.get(name);
  }

  public Node node(String name) {
    return servers.get(name).node();
  }

  public RegistryStore directory() {
    return directory;
  }

  /** A client process attached to node {@code name} over gRPC, as another OS process would be. */
  public AttachedProcess attachRemote(String name) {
    AttachedProcess p = GrpcAttach.attach(servers.get(name).address(), "", "test-client",
        Duration.ofSeconds(5));
    clients.add(p);
    return p;
  }

  /** A client process attached to node {@code name} in-JVM (no gRPC). */
  public AttachedProcess attachLocal(String name) {
    AttachedProcess p = LocalAttach.attach(node(name), "", "test-client");
    clients.add(p);
    return p;
  }

  /**
   * Stops one node abruptly, as if its OS process died: the directory declares it lost first (as the
   * registry does when a node falls silent), so nothing the node says while going down counts; then
   * its server and processes are stopped.
   */
  public void kill(String name) {
    NodeServer s = servers.remove(name);
    if (s != null) {
      directory.lose(s.node().self(), "killed");
      s.close();
    }
  }

  /** Stops one node cleanly: its processes end with "node shutting down", then it leaves. */
  public void stop(String name) {
    NodeServer s = servers.remove(name);
    if (s != null) {
      s.close();
    }
  }

  @Override
  public void close() {
    for (AttachedProcess c : clients) {
      try {
        c.close();
      } catch (RuntimeException ignored) {
        // its node may be gone already
      }
    }
    for (NodeServer s : servers.values()) {
      s.close();
    }
    servers.clear();
  }
}
