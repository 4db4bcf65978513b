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
   * @throws dev.troupe.api.TroupeException NOT_FOUND for an unknown entry;
   *     FAILED_PRECONDITION when the host does not run spawned processes; RESOURCE_EXHAUSTED at a limit
   */
  void checkSpawn(String entry);

  /**
   * Starts {@code process} (already in the node's table, with its monitors and links) running
   * {@code entry}. Must give the process a sink before returning: messages sent to it right after
   * the spawn are written there, and must not be lost if the code is not running yet.
   */
  void start(LocalProcess process, String entry, List<Payload> args);

  /**
   * Where a spawn of {@code entry} on this host runs when not here: a launcher's front places it on one
   * of its worker JVMs (forking one if it must), a worker JVM hands an {@code isolation: jvm} entry to
   * its launcher. The node then forwards the spawn there, and the reply goes straight from that node to
   * the spawner's.
   *
   * @param fromNode the node that sent the spawn; empty for a spawn by a process of this node
   * @param fullNodes members of the host that refused this spawn for want of room
   * @return null to run it here; else the node to forward it to, once known (may fail with the reason)
   */
  default java.util.concurrent.CompletableFuture<dev.troupe.runtime.registry.NodeRecord> placeElsewhere(
      String entry, String fromNode, java.util.List<String> fullNodes) {
    return null;
  }

  /**
   * Whether this node only fronts the host: it runs none of its processes (a launcher's worker JVMs,
   * members of the host, run them all), so no PID of the host is local here.
   */
  default boolean isFront() {
    return false;
  }

  /** Figures for status listings, e.g. a worker pool's spares and busy JVMs. */
  default java.util.Map<String, String> stats() {
    return java.util.Map.of();
  }

  /** Told after a process of this host ended; e.g. a worker pool takes its JVM back. */
  default void onExit(LocalProcess process, ExitResult result) {}
}
