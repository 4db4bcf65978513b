package dev.troupe.registry.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.registry.etcd.EtcdDirectory;
import dev.troupe.registry.etcd.EtcdServers;
import dev.troupe.registry.etcd.EtcdSettings;
import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.registry.RegistryStore;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The store contract in a real etcd (one member), with two registry replicas on it: {@link #store()}
 * and {@link #replica()} are separate {@link EtcdDirectory}s that share nothing but etcd, so whatever
 * one sees of the other's changes came through etcd's transactions and watches. Each test has a key
 * prefix of its own.
 */
@Timeout(60)
class EtcdStoreTest extends RegistryStoreContract {
  private static final AtomicInteger TEST = new AtomicInteger();
  private static EtcdServers etcd;
  private EtcdSettings settings;
  private EtcdDirectory store;
  private EtcdDirectory replica;

  @BeforeAll
  static void startEtcd() throws IOException {
    etcd = EtcdServers.start(1);
  }

  @AfterAll
  static void stopEtcd() {
    if (etcd != null) {
      etcd.close();
    }
  }

  @BeforeEach
  void openReplicas() {
    settings = EtcdSettings.of(etcd.endpoints()).withPrefix("/test-" + TEST.incrementAndGet() + "/")
        .withLeaseTtl(Duration.ofSeconds(3));
    store = EtcdDirectory.open(settings);
    replica = EtcdDirectory.open(settings);
  }

  @AfterEach
  void closeReplicas() {
    store.close();
    replica.close();
  }

  // ---- what only a shared store has: replicas that die, leases that run out

  @Test
  void aReplicaWhoseSessionOfANodeMovedAwayNoLongerKeepsItsLease() {
    NodeRecord a = node("a", 1);
    store.join(a, Map.of(), null);
    byte[] first = store.token(a).orElseThrow();
    replica.join(a, Map.of(), null, first);
    await().atMost(WAIT).until(() -> store.token(a).filter(t -> !Arrays.equals(t, first)).isPresent());

    // when: the first replica ends its old session (its stream broke), then the new replica dies
    store.endSession(a, first, "its old stream broke");
    replica.close();

    // then: no one keeps the node's lease alive, and it runs out
    await().atMost(WAIT).until(() -> store.node("a").isEmpty());
    replica = EtcdDirectory.open(settings); // for closeReplicas
  }

  @Test
  void aNodeWhoseLeaseRanOutCannotComeBackAsTheSameLife() {
    NodeRecord a = node("a", 1);
    replica.join(a, Map.of(), null);
    byte[] token = replica.token(a).orElseThrow();

    // when: its replica dies with it, and its lease runs out
    replica.close();
    await().atMost(WAIT).until(() -> store.node("a").isEmpty());

    // then: its peers heard it lost; it must not come back
    assertThatThrownBy(() -> store.join(a, Map.of(), null, token))
        .isInstanceOf(TroupeException.class)
        .satisfies(t -> assertThat(((TroupeException) t).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
    replica = EtcdDirectory.open(settings);
  }

  @Override
  protected RegistryStore store() {
    return store;
  }

  @Override
  protected RegistryStore replica() {
    return replica;
  }
}
