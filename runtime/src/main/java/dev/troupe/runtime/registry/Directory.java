package dev.troupe.runtime.registry;

import dev.troupe.api.Pid;
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
   * @throws dev.troupe.api.TroupeException ALREADY_EXISTS if another live node serves one of
   *     its hosts
   */
  long join(NodeRecord self, Map<String, Pid> names, DirectoryListener listener);

  /** Withdraws the node: its names are released and the others see it lost with "node left". */
  void leave(NodeRecord self);

  /** The node that alone serves {@code host} (not the members of a shared host). */
  Optional<NodeRecord> nodeServing(String host);

  /**
   * The node a PID lives on: the member of its shared host whose range holds its id, else the node
   * that alone serves its host.
   */
  default Optional<NodeRecord> nodeServing(Pid pid) {
    NodeRecord exclusive = null;
    for (NodeRecord n : liveNodes()) {
      if (n.shard() != null && n.shard().contains(pid)) {
        return Optional.of(n);
      }
      if (exclusive == null && n.hosts().contains(pid.host())) {
        exclusive = n;
      }
    }
    return Optional.ofNullable(exclusive);
  }

  /** The live members a spawner may place a process of {@code host} on (shared, not dedicated). */
  default List<NodeRecord> members(String host) {
    List<NodeRecord> out = new java.util.ArrayList<>();
    for (NodeRecord n : liveNodes()) {
      if (n.sharesHost(host)) {
        out.add(n);
      }
    }
    return out;
  }

  /**
   * Declares {@code member} (one {@code by} forked) lost with {@code reason}, e.g. the signal that
   * killed its JVM; incarnation 0 means whichever incarnation of that name is live. Ignored unless
   * {@code by} owns the member.
   */
  default void declareLost(NodeRecord by, String member, long incarnation, String reason) {}

  Optional<NodeRecord> node(String name);

  Collection<NodeRecord> nodes();

  /**
   * The live nodes for lookups on the message path ({@link #nodeServing(Pid)}, {@link #members}): a
   * directory whose {@link #nodes()} copies may hand out a live, thread-safe view instead.
   */
  default Collection<NodeRecord> liveNodes() {
    return nodes();
  }

  /**
   * A number that changes whenever the live nodes do (after the change), so that the message path may
   * keep the answer of a lookup ({@link #nodeServing(Pid)}) while it stays the same; -1 (the default):
   * this directory does not count its changes, and nothing may be kept.
   */
  default long version() {
    return -1;
  }

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

  /**
   * The ticket node {@code self} shows {@code peer} when it opens a peer stream to it (see
   * {@link NodeCredentials}); empty when the directory has none for that incarnation of the peer.
   */
  byte[] peerTicket(NodeRecord self, NodeRecord peer);

  /**
   * Whether {@code ticket} proves, towards node {@code self}, that the registry admitted a node as
   * {@code claimed} says (its name, incarnation and what it serves).
   */
  boolean admitsPeer(NodeRecord self, NodeRecord claimed, byte[] ticket);

  /**
   * Whether this node's own credentials are known, so that {@link #admitsPeer} can admit anyone: a
   * peer that heard of this node from the registry may open a stream before this node has read the
   * registry's answer to its own join.
   */
  default boolean credentialsReady() {
    return true;
  }

  /** Runs {@code then} once {@link #credentialsReady()} (at once if it is already). */
  default void whenCredentialsReady(Runnable then) {
    then.run();
  }
}
