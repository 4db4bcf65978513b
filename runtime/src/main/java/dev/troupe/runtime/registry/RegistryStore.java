package dev.troupe.runtime.registry;

import dev.troupe.api.Pid;
import java.util.Map;
import java.util.Optional;

/**
 * Where a registry keeps the directory: {@link InMemoryDirectory} in its own memory (one registry, the
 * default on one machine), or a store that several registry replicas share (etcd). What the registry's
 * gRPC adapter needs beyond a node's {@link Directory}: the sessions of the nodes whose streams it
 * holds, their tokens, and their listeners.
 *
 * <p>A session is one join of one incarnation, identified by the token the join issued. A node whose
 * replica went away joins another with the same incarnation and its token ({@link #join(NodeRecord,
 * Map, DirectoryListener, byte[])}): a new session, the same life. Ending a session that is no longer
 * current does nothing, so the replica that lost the node's stream cannot declare it lost once another
 * holds it.
 */
public interface RegistryStore extends Directory {

  /**
   * Joins {@code self}, or, when {@code previousToken} is the token of its live incarnation's current
   * session, opens a new session of that same life (a new token; the node, its names and ids stay).
   *
   * @throws dev.troupe.api.TroupeException ALREADY_EXISTS if another live node serves one of its
   *     hosts; UNAVAILABLE if a live node has its name and the token does not prove it is that node,
   *     or the store cannot be reached; FAILED_PRECONDITION if this incarnation was declared lost
   */
  long join(NodeRecord self, Map<String, Pid> names, DirectoryListener listener, byte[] previousToken);

  @Override
  default long join(NodeRecord self, Map<String, Pid> names, DirectoryListener listener) {
    return join(self, names, listener, new byte[0]);
  }

  /** Adds a listener that is not a node (e.g. the Observer's event feed). */
  void addListener(DirectoryListener listener);

  void removeListener(DirectoryListener listener);

  /** Records that {@code node} has allocated ids below {@code nextId}, so a later life starts above. */
  void noteNextProcessId(String node, long nextId);

  /**
   * Declares {@code node} lost (whatever its session), if that incarnation is still live. A shared
   * store may do it after this returns; listeners hear of it when it is done.
   */
  void lose(NodeRecord node, String reason);

  /**
   * Declares {@code node} lost if the session that issued {@code token} is still its current one: the
   * end of a session that another replica (or a newer stream) has taken over is not a loss.
   */
  void endSession(NodeRecord node, byte[] token, String reason);

  /** The token of {@code node}'s current session if it is live in that incarnation. */
  Optional<byte[]> token(NodeRecord node);

  /** The live node named {@code name}, if {@code token} is its current session's token. */
  Optional<NodeRecord> authenticate(String name, byte[] token);

  /** Where the directory lives, for operators: "memory", or the store and where it is. */
  default String describe() {
    return "memory";
  }

  /** Stops watching and keeping anything alive; what the store holds is left to the other replicas. */
  default void close() {}
}
