package dev.troupe.runtime.grpc;

import dev.troupe.client.ChannelSettings;
import dev.troupe.client.EventLoops;
import dev.troupe.client.TransportSecurity;
import dev.troupe.runtime.node.Node;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns a node's gRPC server: attach and peer services, grpc.health.v1, server reflection, and any
 * extra services of the process (the registry, a launcher's watch service). Start binds, joins the
 * directory and reports SERVING; stop reports NOT_SERVING, ends the node's processes and shuts down.
 */
public final class NodeServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeServer.class);
  /** How long stop waits for calls to finish before cutting them. */
  public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(2);

  private final Node node;
  private final String bindHost;
  private final int port;
  private final ChannelSettings peerSettings;
  private final List<BindableService> extra = new ArrayList<>();
  private final List<Runnable> beforeClose = new ArrayList<>();
  private final HealthStatusManager health = new HealthStatusManager();
  private boolean deferServing;
  private dev.troupe.runtime.registry.Shard shard;
  private Server server;
  private PeerConnections peers;
  private final CallCounter calls = new CallCounter();
  private boolean closed;

  public NodeServer(Node node, String bindHost, int port, ChannelSettings peerSettings) {
    this.node = node;
    this.bindHost = bindHost;
    this.port = port;
    this.peerSettings = peerSettings;
  }

  /** Runs {@code action} first when this server closes (before any call is cut). */
  public NodeServer beforeClose(Runnable action) {
    beforeClose.add(action);
    return this;
  }

  public NodeServer addService(BindableService service) {
    extra.add(service);
    return this;
  }

  /** Joins as a member of a shared host (a launcher's worker JVM), with a range of its ids. */
  public NodeServer asMember(dev.troupe.runtime.registry.Shard shard) {
    this.shard = shard;
    return this;
  }

  /**
   * Reports NOT_SERVING after start until {@link #markServing()}: for a node that needs more than its
   * server to do its job (a launcher, until its first worker JVMs are ready).
   */
  public NodeServer deferServing() {
    this.deferServing = true;
    return this;
  }

  public void markServing() {
    health.setStatus("", ServingStatus.SERVING);
  }

  /** Binds, then joins the directory with the bound address. */
  public NodeServer start() throws IOException {
    NettyServerBuilder b = EventLoops.on(NettyServerBuilder.forAddress(new InetSocketAddress(bindHost, port)))
        .directExecutor()
        .permitKeepAliveTime(500, TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true)
        .maxInboundMessageSize(ParseGuard.TRANSPORT_MAX_REQUEST_BYTES) // the real limit: ParseGuard
        .addService(ParseGuard.guard(new AttachGrpcService(node, peerSettings).bindService()))
        .addService(ParseGuard.guard(new PeerGrpcService(node).bindService()))
        .addService(ParseGuard.guard(new WatchGrpcService(node).bindService()))
        .addService(ParseGuard.guard(new AdminGrpcService(node).bindService()))
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance());
    extra.forEach(s -> b.addService(ParseGuard.guard(s.bindService())));
    TransportSecurity security = TransportSecurity.process();
    if (security.secret() != null || security.nodeSecret() != null) {
      b.intercept(SharedSecretAuth.server(security.secret(), security.nodeSecret()));
    }
    b.intercept(calls);
    if (security.tlsCert() != null && security.tlsKey() != null) {
      var ssl = io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forServer(
          security.tlsCert().toFile(), security.tlsKey().toFile());
      if (security.tlsCa() != null) {
        // Mutual TLS: only peers with a certificate from this CA may connect.
        ssl.trustManager(security.tlsCa().toFile())
            .clientAuth(io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth.REQUIRE);
      }
      b.sslContext(ssl.build());
    }
    server = b.build().start();
    peers = new PeerConnections(node, peerSettings);
    node.start(address(), peers, shard);
    health.setStatus("", deferServing ? ServingStatus.NOT_SERVING : ServingStatus.SERVING);
    LOG.info("{}: serving on {}", node.label(), address());
    return this;
  }

  /** host:port others reach this node at. */
  public String address() {
    return bindHost + ":" + server.getPort();
  }

  public int port() {
    return server.getPort();
  }

  /** gRPC calls this node's server has taken since it started, by full method name. */
  public Map<String, Long> callsStarted() {
    return calls.started();
  }

  /** gRPC calls this node's server has ended, by "full method name" + " " + status code. */
  public Map<String, Long> callsEnded() {
    return calls.ended();
  }

  /** This node's outgoing peer links (null before {@link #start}). */
  public PeerConnections peers() {
    return peers;
  }

  public Node node() {
    return node;
  }

  public HealthStatusManager health() {
    return health;
  }

  /**
   * Blocks until the JVM is asked to stop (SIGTERM, SIGINT), then stops this server cleanly: a
   * service's main ends with this. The hook writes to stderr because logging may already be gone.
   */
  public void runUntilShutdown() throws InterruptedException {
    java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.err.println(node.label() + ": shutting down");
      close();
      stopped.countDown();
    }, "shutdown"));
    server.awaitTermination();
    stopped.await();
  }

  @Override
  public synchronized void close() {
    if (server == null || closed) {
      return;
    }
    closed = true;
    beforeClose.forEach(Runnable::run);
    health.enterTerminalState();
    node.shutdown();
    peers.shutdown();
    server.shutdown();
    try {
      if (!server.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    LOG.info("{}: stopped", node.label());
  }
}
