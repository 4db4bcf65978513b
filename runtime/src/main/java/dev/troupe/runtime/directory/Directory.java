package dev.troupe.runtime.directory;

import dev.troupe.runtime.api.Pid;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What a node needs from the cluster: which node serves which host, and cluster-wide names. The
 * embedded {@link InMemoryDirectory} serves one JVM (tests, the registry itself); the registry client
 * serves nodes in other OS processes. Lookups of nodes are answered from a local cache; names too,
 * once seen, and the cache is told of every change.
 */
public interface Directory {

  /**
   * Announces {@code self} with the names its live processes hold (empty on first start) and starts
   * telling {@code listener} about changes.
   *
   * @return the first process id the node may allocate
   * @throws dev.troupe.runtime.api.TroupeException ALREADY_EXISTS if another live node serves one of
   *     its hosts
   */
  long join(NodeRecord self, Map<String, Pid> names, DirectoryListener listener);

  /** Withdraws the node: its names are released and the others see it lost with "node left". */
  void leave(NodeRecord self);

  Optional<NodeRecord> nodeServing(String host);

  Optional<NodeRecord> node(String name);

  Collection<NodeRecord> nodes();

  CompletableFuture<Void> register(NodeRecord by, String name, Pid owner);

  CompletableFuture<Boolean> unregister(NodeRecord by, String name, Pid owner);

  CompletableFuture<Optional<Pid>> lookup(String name);

  /** Releases every name {@code owner} holds; completes when the release is visible to lookups. */
  CompletableFuture<List<String>> releaseAll(NodeRecord by, Pid owner);

  /**
   * Forgets cached names of {@code owner}, which has exited: its node released them before sending
   * the EXIT, but the release may reach this node's cache later than the EXIT itself.
   */
  default void evict(Pid owner) {}

  /** Every name and its owner, for status listings. */
  Map<String, Pid> names();
}
