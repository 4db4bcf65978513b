package dev.troupe.launcher.core;

import dev.troupe.runtime.registry.NodeRecord;
import java.util.concurrent.CompletableFuture;

/**
 * Asks a worker JVM how many processes it runs (the launcher's pool polls each of its JVMs), and tells one
 * that is to be stopped to take no new process first.
 */
public interface LoadProbe {
  /**
   * @param processes live now
   * @param startedTotal started in its life
   * @param heapFull its heap is too full after collection to take new processes
   */
  record Load(int processes, long startedTotal, boolean heapFull) {
    public Load(int processes, long startedTotal) {
      this(processes, startedTotal, false);
    }
  }

  CompletableFuture<Load> load(NodeRecord member);

  /**
   * Tells the member to take no new process (spawns placed on it are refused, and placed elsewhere by
   * their spawners); completes once it has. Without it (the default: a probe that cannot), the pool stops
   * a JVM as soon as it has decided to.
   */
  default CompletableFuture<Void> drain(NodeRecord member) {
    return CompletableFuture.completedFuture(null);
  }

  /** The member is gone: release what was kept to reach it. */
  default void forget(NodeRecord member) {}
}
