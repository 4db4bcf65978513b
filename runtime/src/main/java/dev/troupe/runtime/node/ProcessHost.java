package dev.troupe.runtime.node;

import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.common.v1.Payload;
import java.util.List;

/**
 * A host served by a node (e.g. {@code app:processes}): where the processes spawned on it run.
 * Implementations: in the node's JVM, in launcher-forked worker JVMs, or nowhere (attached clients).
 */
public interface ProcessHost {
  String name();

  /** Whether clients may attach on this host with {@code hello.host}. */
  boolean acceptsAttach();

  /**
   * Checks that {@code entry} can run here before a PID is allocated.
   *
   * @throws dev.troupe.runtime.api.TroupeException NOT_FOUND for an unknown entry;
   *     FAILED_PRECONDITION when the host does not run spawned processes; RESOURCE_EXHAUSTED at a limit
   */
  void checkSpawn(String entry);

  /**
   * Starts {@code process} (already in the node's table, with its monitors and links) running
   * {@code entry}. Must give the process a sink before returning: messages sent to it right after
   * the spawn are written there, and must not be lost if the code is not running yet.
   */
  void start(LocalProcess process, String entry, List<Payload> args);

  /** Figures for status listings, e.g. a worker pool's spares and busy JVMs. */
  default java.util.Map<String, String> stats() {
    return java.util.Map.of();
  }

  /** Told after a process of this host ended; e.g. a worker pool takes its JVM back. */
  default void onExit(LocalProcess process, ExitResult result) {}
}
