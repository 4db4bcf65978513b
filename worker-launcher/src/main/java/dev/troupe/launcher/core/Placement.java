package dev.troupe.launcher.core;

import java.util.Collection;

/**
 * Where a spawn runs: the policy alone, over the pool's JVMs as they are now. A shared process goes
 * to the least-loaded running JVM under the per-JVM limit (spreading processes over about one JVM per
 * core), and waits for a starting one only when every running one is full. An isolated process
 * ({@code isolation: jvm}) takes a running JVM that hosts nothing. Null means: none fits, fork one.
 */
final class Placement {
  private final int maxProcessesPerJvm;

  Placement(int maxProcessesPerJvm) {
    this.maxProcessesPerJvm = maxProcessesPerJvm;
  }

  int maxProcessesPerJvm() {
    return maxProcessesPerJvm;
  }

  /** The JVM for a process that may share it, or null when every live JVM is full or isolated. */
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

  /** A running JVM with nothing in it, for a process that must not share one; null if none. */
  WorkerJvm forIsolated(Collection<WorkerJvm> jvms) {
    for (WorkerJvm j : jvms) {
      if (j.isIdle()) {
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
