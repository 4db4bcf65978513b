package dev.troupe.runtime.registry;

import dev.troupe.api.Pid;

/** What a node hears from the directory. Called from directory threads; must not block. */
public interface DirectoryListener {
  /**
   * The directory admitted this node as {@code self} (a member: with the range it assigned), and it
   * may allocate ids from {@code firstProcessId}: told before any other node, so that the node knows
   * its own record before it opens a peer link to one (the link's handshake shows that record).
   */
  default void joinedAs(NodeRecord self, long firstProcessId) {}

  void nodeUp(NodeRecord node);

  /** The node is gone (crashed, paused, partitioned or left): fire every monitor and link across it. */
  void nodeLost(NodeRecord node, String reason);

  /** {@code name} now belongs to {@code owner}, or was released when {@code owner} is null. */
  void nameChanged(String name, Pid owner);

  /** A listener that hears nothing: for a directory user that only looks things up. */
  DirectoryListener DEAF = new DirectoryListener() {
    @Override
    public void nodeUp(NodeRecord node) {}

    @Override
    public void nodeLost(NodeRecord node, String reason) {}

    @Override
    public void nameChanged(String name, Pid owner) {}
  };
}
