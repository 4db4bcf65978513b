package dev.troupe.registry.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.Pid;
import dev.troupe.registry.testing.HeardEvents;
import dev.troupe.registry.testing.Resources;
import dev.troupe.runtime.grpc.RegistryClient;
import dev.troupe.runtime.registry.NodeRecord;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Registry replicas over one etcd, with real node clients over gRPC: a node whose replica dies moves to
 * another replica and lives on (nobody hears it lost, its names stay, its lease is kept alive there);
 * a node that dies together with its replica is removed when its lease runs out.
 */
@Timeout(120)
class RegistryReplicasTest {
  static final Duration WAIT = Duration.ofSeconds(20);
  @AutoClose
  final Resources resources = new Resources();

  private <T extends AutoCloseable> T closing(T c) {
    return resources.add(c);
  }

  static NodeRecord node(String name) {
    return new NodeRecord(name, System.nanoTime(), "127.0.0.1:1", List.of("app:" + name));
  }

  static RegistryClient.Settings fast() {
    return new RegistryClient.Settings(Duration.ofMillis(250), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofMillis(100), Duration.ofSeconds(10));
  }

  @Test
  void aNodeWhoseReplicaDiesMovesToAnotherAndNoOneHearsItLost() throws Exception {
    RegistryReplica.Pair replicas = RegistryReplica.Pair.start(1, resources);
    RegistryReplica a = replicas.a();
    RegistryReplica b = replicas.b();
    NodeRecord mover = node("mover");
    RegistryClient moverClient = closing(new RegistryClient(a.address() + "," + b.address(), fast()));
    moverClient.join(mover, Map.of(), new HeardEvents());
    HeardEvents watcher = new HeardEvents();
    RegistryClient watcherClient = closing(new RegistryClient(b.address() + "," + a.address(), fast()));
    watcherClient.join(node("watcher"), Map.of(), watcher);
    moverClient.register(mover, "svc", Pid.of("app:mover", 3)).join();
    await().atMost(WAIT).until(() -> watcher.events().contains("name svc={app:mover|0x00003}"));

    await().atMost(WAIT).until(() -> b.store.token(mover).isPresent());
    byte[] firstSession = b.store.token(mover).orElseThrow();

    // when: the replica it uses dies
    a.kill();

    // then: it moves to b (a new session), which keeps its lease alive past several TTLs; nobody
    // hears it lost
    await().atMost(WAIT).until(() -> b.store.token(mover).filter(t -> !Arrays.equals(t, firstSession)).isPresent());
    await().during(RegistryReplica.shortLease().multipliedBy(2)).atMost(WAIT)
        .until(() -> b.store.node("mover").isPresent() && b.store.names().containsKey("svc"));
    assertThat(watcher.events()).noneMatch(e -> e.startsWith("lost mover"));
    assertThat(watcherClient.lookup("svc").join()).contains(Pid.of("app:mover", 3));
    // and its name calls go to b now
    moverClient.register(mover, "svc2", Pid.of("app:mover", 4)).join();
    assertThat(b.store.lookup("svc2").join()).contains(Pid.of("app:mover", 4));

    // when it leaves, everyone hears it
    moverClient.close();
    await().atMost(WAIT).until(() -> watcher.events().stream().anyMatch(e -> e.startsWith("lost mover")));
    assertThat(watcher.events()).containsSubsequence("name svc=free", "lost mover: node left");
  }

  @Test
  void aNodeThatDiesWithItsReplicaIsRemovedWhenItsLeaseRunsOut() throws Exception {
    RegistryReplica.Pair replicas = RegistryReplica.Pair.start(1, resources);
    RegistryReplica a = replicas.a();
    RegistryReplica b = replicas.b();
    NodeRecord doomed = node("doomed");
    RegistryClient doomedClient = new RegistryClient(a.address(), fast()); // knows only a
    doomedClient.join(doomed, Map.of(), new HeardEvents());
    doomedClient.register(doomed, "gone-soon", Pid.of("app:doomed", 1)).join();
    HeardEvents watcher = new HeardEvents();
    closing(new RegistryClient(b.address(), fast())).join(node("watcher"), Map.of(), watcher);

    // when: its replica and it die together (it can rejoin nowhere)
    a.kill();
    doomedClient.close();
    long killedAt = System.nanoTime();

    // then: its lease runs out, and everyone hears it lost, its name freed first
    await().atMost(WAIT).until(() -> watcher.events().stream().anyMatch(e -> e.startsWith("lost doomed")));
    Duration took = Duration.ofNanos(System.nanoTime() - killedAt);
    String lost = watcher.events().stream().filter(e -> e.startsWith("lost doomed")).findFirst().orElseThrow();
    assertThat(lost).contains("etcd lease ran out");
    assertThat(watcher.events()).containsSubsequence("name gone-soon=free", lost);
    assertThat(took).isLessThan(RegistryReplica.shortLease().plusSeconds(3));
  }
}
