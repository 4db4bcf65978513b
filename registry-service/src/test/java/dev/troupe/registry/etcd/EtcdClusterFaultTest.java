package dev.troupe.registry.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.Pid;
import dev.troupe.registry.testing.HeardEvents;
import dev.troupe.registry.testing.Resources;
import dev.troupe.runtime.grpc.RegistryClient;
import dev.troupe.runtime.registry.NodeRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A 3-member etcd cluster under two registry replicas, with nodes joined to each: killing etcd's leader
 * or a follower (SIGKILL) loses no name and declares no live node lost, even with node leases much
 * shorter than the default, and the registry goes on taking names once the cluster has a leader.
 */
@Timeout(180)
class EtcdClusterFaultTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  @AutoClose
  final Resources resources = new Resources();

  private <T extends AutoCloseable> T closing(T c) {
    return resources.add(c);
  }

  @Test
  void killingTheLeaderLosesNoNameAndNoNode() throws Exception {
    survives(EtcdServers::leader);
  }

  @Test
  void killingAFollowerLosesNoNameAndNoNode() throws Exception {
    survives(etcd -> {
      EtcdServers.Member leader = etcd.leader();
      return etcd.members().stream().filter(m -> m != leader).findFirst().orElseThrow();
    });
  }

  private void survives(Function<EtcdServers, EtcdServers.Member> victim) throws Exception {
    RegistryReplica.Pair replicas = RegistryReplica.Pair.start(3, resources);
    EtcdServers etcd = replicas.etcd();
    RegistryReplica a = replicas.a();
    RegistryReplica b = replicas.b();
    HeardEvents heard = new HeardEvents();
    RegistryClient watcher = closing(new RegistryClient(b.address(), RegistryReplicasTest.fast()));
    watcher.join(RegistryReplicasTest.node("watcher"), Map.of(), heard);
    List<NodeRecord> nodes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      NodeRecord n = RegistryReplicasTest.node("n" + i);
      RegistryClient c = closing(new RegistryClient((i % 2 == 0 ? a : b).address(), RegistryReplicasTest.fast()));
      c.join(n, Map.of(), new HeardEvents());
      for (int k = 1; k <= 5; k++) {
        c.register(n, "n" + i + "-name" + k, Pid.of("app:n" + i, k)).join();
      }
      nodes.add(n);
    }
    await().atMost(WAIT).until(() -> a.store.names().size() == 20 && b.store.names().size() == 20);

    // when
    etcd.kill(victim.apply(etcd));

    // then: for longer than two lease TTLs, through the election, every node and name stays
    await().during(RegistryReplica.shortLease().multipliedBy(2).plusSeconds(1)).atMost(WAIT)
        .until(() -> a.store.names().size() == 20 && b.store.names().size() == 20
            && nodes.stream().allMatch(n -> a.store.node(n.name()).isPresent() && b.store.node(n.name()).isPresent()));
    assertThat(heard.events()).noneMatch(e -> e.startsWith("lost"));
    assertThat(heard.events()).noneMatch(e -> e.endsWith("=free"));
    etcd.awaitLeader();
    NodeRecord late = RegistryReplicasTest.node("late");
    RegistryClient lateClient = closing(new RegistryClient(a.address(), RegistryReplicasTest.fast()));
    lateClient.join(late, Map.of(), new HeardEvents());
    lateClient.register(late, "after-the-kill", Pid.of("app:late", 1)).join();
    assertThat(watcher.lookup("after-the-kill").join()).contains(Pid.of("app:late", 1));
  }
}
