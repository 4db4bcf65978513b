package dev.troupe.registry.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.Pid;
import dev.troupe.registry.core.Liveness;
import dev.troupe.registry.testing.HeardEvents;
import dev.troupe.runtime.grpc.RegistryClient;
import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.NodeRecord;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A node's view of its peers while the registry is rebuilt: nodes that join at the same moment, and
 * nodes that rejoin a restarted registry one after the other, never lose sight of a live peer.
 * Real registry gRPC service and real node clients on loopback.
 */
class RegistryRejoinTest {
  private static final Duration FAST = Duration.ofMillis(50);
  private final List<AutoCloseable> closing = new ArrayList<>();
  private Server registry;
  private RegistryGrpcService service;
  private InMemoryDirectory directory;

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    if (registry != null) {
      registry.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private int startRegistry(int port) throws IOException {
    directory = new InMemoryDirectory();
    service = new RegistryGrpcService(directory,
        new Liveness(Duration.ofSeconds(30), System::currentTimeMillis), "registry-test");
    registry = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .addService(service).build().start();
    return registry.getPort();
  }

  /**
   * The registry goes, as it does when killed or stopped: it tells no node anything on its way out
   * (a killed one cannot, a stopping one must not: the streams it cuts say nothing of the nodes).
   */
  private void killRegistry() throws InterruptedException {
    service.stop();
    registry.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static RegistryClient.Settings settings(Duration rejoinBackoff, Duration rejoinGrace) {
    return new RegistryClient.Settings(Duration.ofMillis(200), Duration.ofSeconds(5),
        Duration.ofSeconds(10), rejoinBackoff, rejoinGrace);
  }

  private static NodeRecord node(String name) {
    return new NodeRecord(name, name.hashCode() & 0xffff, "127.0.0.1:1", List.of("app:" + name));
  }

  /** A joined node: its client and what its listener heard. */
  private record Joined(NodeRecord record, RegistryClient client, List<String> heard) {}

  private Joined join(int port, String name, RegistryClient.Settings s) {
    RegistryClient client = new RegistryClient("127.0.0.1:" + port, s);
    closing.add(client);
    HeardEvents heard = new HeardEvents();
    NodeRecord record = node(name);
    client.join(record, Map.of(), heard);
    return new Joined(record, client, heard.events());
  }

  @Test
  void nodesThatJoinAtTheSameMomentAllSeeEachOther() throws Exception {
    int nodes = 8;
    ExecutorService pool = Executors.newFixedThreadPool(nodes);
    try {
      for (int round = 0; round < 25; round++) {
        int port = startRegistry(0);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Joined>> joins = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
          String name = "n" + round + "-" + i;
          joins.add(pool.submit(() -> {
            go.await();
            return join(port, name, settings(FAST, Duration.ofSeconds(10)));
          }));
        }
        go.countDown();
        List<Joined> joined = new ArrayList<>();
        for (Future<Joined> f : joins) {
          joined.add(f.get(20, TimeUnit.SECONDS));
        }
        int r = round;
        for (Joined j : joined) {
          await("round " + r + ": " + j.record().name() + " sees every peer").atMost(Duration.ofSeconds(5))
              .pollInterval(Duration.ofMillis(10))
              .untilAsserted(() -> assertThat(j.client().nodes()).extracting(NodeRecord::name)
                  .containsAll(joined.stream().map(x -> x.record().name()).toList()));
        }
        for (Joined j : joined) {
          closing.remove(j.client());
          j.client().close();
        }
        registry.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        registry = null;
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aPeerThatHasNotYetRejoinedARestartedRegistryStaysReachableAndOneThatNeverDoesIsLostAfterTheGrace()
      throws Exception {
    // given: three nodes joined to a registry. 'launcher' rejoins fast; 'relay' takes 1.5 s to
    // rejoin; 'gone' waits a minute (as if it had died with the registry)
    Duration grace = Duration.ofSeconds(3);
    int port = startRegistry(freePort());
    Joined launcher = join(port, "launcher", settings(FAST, grace));
    join(port, "relay", settings(Duration.ofMillis(1_500), grace));
    join(port, "gone", settings(Duration.ofMinutes(1), grace));
    Pid service = Pid.of("app:launcher", 7);
    launcher.client().register(launcher.record(), "service", service).get(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(launcher.client().nodes())
        .extracting(NodeRecord::name).contains("relay", "gone"));

    // when: the registry is killed and started again, empty, on the same port
    killRegistry();
    startRegistry(port);

    // then: until 'relay' has rejoined, the launcher still routes to it (it is live all along)
    long t0 = System.nanoTime();
    await("relay rejoined").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> {
      assertThat(launcher.client().nodeServing("app:relay")).as("relay, %d ms after the restart",
          (System.nanoTime() - t0) / 1_000_000).map(NodeRecord::name).contains("relay");
      return directory.node("relay").isPresent();
    });
    // and the launcher never took it for lost
    assertThat(launcher.heard()).noneMatch(h -> h.startsWith("lost relay"));

    // and 'gone', which never rejoins, is lost once the grace is over, with a reason that says so
    await("gone taken as lost").atMost(grace.plus(Duration.ofSeconds(5)))
        .until(() -> launcher.client().node("gone").isEmpty());
    assertThat(launcher.heard()).anyMatch(h -> h.startsWith("lost gone: did not rejoin the registry within 3000 ms"));
    assertThat(launcher.client().nodeServing("app:relay")).isPresent();
    // and the name the launcher's process held before the restart is the registry's again
    assertThat(directory.lookup("service").get()).contains(service);
  }

  @Test
  void aGraceFromAnEarlierRestartNeverEndsTheWaitOfALaterOne() throws Exception {
    // given: 'relay' rejoins a restarted registry 2.5 s after losing it, within a grace of 3 s
    Duration grace = Duration.ofSeconds(3);
    int port = startRegistry(freePort());
    Joined launcher = join(port, "launcher", settings(FAST, grace));
    join(port, "relay", settings(Duration.ofMillis(2_500), grace));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(launcher.client().nodes())
        .extracting(NodeRecord::name).contains("relay"));

    // when: the registry is killed, and killed again as soon as 'relay' has rejoined it: the launcher's
    // grace for the first restart ends while 'relay' has not yet rejoined the second registry
    killRegistry();
    startRegistry(port);
    await("relay rejoined the first restarted registry").atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5)).until(() -> directory.node("relay").isPresent());
    killRegistry();
    startRegistry(port);

    // then: 'relay' rejoins the second registry too, and the launcher never took it for lost
    await("relay rejoined the second restarted registry").atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5)).until(() -> {
          assertThat(launcher.client().nodeServing("app:relay")).map(NodeRecord::name).contains("relay");
          return directory.node("relay").isPresent();
        });
    assertThat(launcher.heard()).noneMatch(h -> h.startsWith("lost relay"));
  }
}
