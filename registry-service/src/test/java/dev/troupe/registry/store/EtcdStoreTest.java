package dev.troupe.registry.store;

import dev.troupe.registry.etcd.EtcdDirectory;
import dev.troupe.registry.etcd.EtcdServers;
import dev.troupe.registry.etcd.EtcdSettings;
import dev.troupe.runtime.registry.RegistryStore;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
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
    EtcdSettings settings = EtcdSettings.of(etcd.endpoints()).withPrefix("/test-" + TEST.incrementAndGet() + "/");
    store = EtcdDirectory.open(settings);
    replica = EtcdDirectory.open(settings);
  }

  @AfterEach
  void closeReplicas() {
    store.close();
    replica.close();
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
