package dev.troupe.launcher.core;

import dev.troupe.runtime.directory.NodeRecord;
import java.util.concurrent.CompletableFuture;

/** Asks a worker JVM how many processes it runs (the launcher's pool polls each of its JVMs). */
public interface LoadProbe {
  /** @param processes live now @param startedTotal started in its life */
  record Load(int processes, long startedTotal) {}

  CompletableFuture<Load> load(NodeRecord member);

  /** The member is gone: release what was kept to reach it. */
  default void forget(NodeRecord member) {}
}
