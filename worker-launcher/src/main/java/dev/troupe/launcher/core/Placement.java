package dev.troupe.launcher.core;

import java.util.Collection;

/**
 * Where the launcher places a spawn that reached it (spawners place most spawns on the worker JVMs
 * themselves; the launcher gets those no JVM had room for, and every {@code isolation: jvm} one): the
 * policy alone, over the pool's JVMs as they are now. A shared process goes to the least-loaded running
 * JVM under the per-JVM limit, and waits for a starting one only when every running one is full. An
 * isolated process takes a running dedicated JVM not yet given its process. Null means: fork one.
 */
final class Placement {
  private final int maxProcessesPerJvm;

  Placement(int maxProcessesPerJvm) {
    this.maxProcessesPerJvm = maxProcessesPerJvm;
  }

  /** The JVM for a process that may share it, or null when every live shared JVM is full. */
  WorkerJvm forShared(Collection<WorkerJvm> jvms) {
    WorkerJvm best = null;
    for (WorkerJvm j : jvms) {
      if (j.hasRoomFor(maxProcessesPerJvm) && better(j, best)) {
        best = j;
      }
    }
    return best;
  }

  private static boolean better(WorkerJvm candidate, WorkerJvm best) {
    if (best == null) {
      return true;
    }
    boolean running = candidate.state() == WorkerJvm.State.RUNNING;
    boolean bestRunning = best.state() == WorkerJvm.State.RUNNING;
    if (running != bestRunning) {
      return running; // a running JVM serves at once; a starting one makes the spawn wait
    }
    return candidate.load() < best.load();
  }

  /** A running dedicated JVM not yet given its process; null if none. */
  WorkerJvm forIsolated(Collection<WorkerJvm> jvms) {
    for (WorkerJvm j : jvms) {
      if (j.isFreeForIsolated()) {
        return j;
      }
    }
    return null;
  }

  /** Whether a shared spawn could be placed now or on a JVM the pool may still fork. */
  boolean roomForShared(Collection<WorkerJvm> jvms, int liveJvms, int maxJvms) {
    return liveJvms < maxJvms || forShared(jvms) != null;
  }

  /** Whether an isolated spawn could get a JVM now or one the pool may still fork. */
  boolean roomForIsolated(Collection<WorkerJvm> jvms, int liveJvms, int maxJvms) {
    return liveJvms < maxJvms || forIsolated(jvms) != null;
  }
}
