package dev.troupe.runtime.registry;

import dev.troupe.api.Pid;

/** What a node hears from the directory. Called from directory threads; must not block. */
public interface DirectoryListener {
  void nodeUp(NodeRecord node);

  /** The node is gone (crashed, paused, partitioned or left): fire every monitor and link across it. */
  void nodeLost(NodeRecord node, String reason);

  /** {@code name} now belongs to {@code owner}, or was released when {@code owner} is null. */
  void nameChanged(String name, Pid owner);
}
