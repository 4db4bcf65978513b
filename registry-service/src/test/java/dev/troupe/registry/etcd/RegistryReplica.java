package dev.troupe.registry.etcd;

import dev.troupe.registry.core.Liveness;
import dev.troupe.registry.grpc.RegistryGrpcService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One registry replica for tests, as registry-service runs it with {@code --store etcd}: its own view
 * of etcd, the registry's gRPC service on a loopback port, and its liveness check.
 */
final class RegistryReplica implements AutoCloseable {
  final EtcdDirectory store;
  final RegistryGrpcService service;
  private final Server server;
  private final ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor();
  private boolean closed;

  RegistryReplica(EtcdSettings settings, String label) throws IOException {
    store = EtcdDirectory.open(settings);
    service = new RegistryGrpcService(store, new Liveness(Liveness.DEFAULT_TIMEOUT, System::currentTimeMillis), label);
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
    checker.scheduleAtFixedRate(service::checkLiveness, 250, 250, TimeUnit.MILLISECONDS);
  }

  String address() {
    return "127.0.0.1:" + server.getPort();
  }

  /**
   * The replica dies as a killed process does: it says nothing on its way out (its streams break on
   * the nodes' side), keeps no lease alive any more, and watches nothing.
   */
  void kill() throws InterruptedException {
    if (closed) {
      return;
    }
    closed = true;
    service.stop();
    checker.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    store.close();
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }

  static Duration shortLease() {
    return Duration.ofSeconds(4);
  }

  /** Two replicas, "registry-a" and "registry-b", over a new etcd of {@code members}, with short leases. */
  record Pair(EtcdServers etcd, RegistryReplica a, RegistryReplica b) {
    static Pair start(int members, dev.troupe.registry.testing.Resources resources) throws IOException {
      EtcdServers etcd = resources.add(EtcdServers.start(members));
      EtcdSettings settings = EtcdSettings.of(etcd.endpoints()).withLeaseTtl(shortLease());
      return new Pair(etcd, resources.add(new RegistryReplica(settings, "registry-a")),
          resources.add(new RegistryReplica(settings, "registry-b")));
    }
  }
}
