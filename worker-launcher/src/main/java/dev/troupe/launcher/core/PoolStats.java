package dev.troupe.launcher.core;

import java.util.List;

/**
 * The pool's figures, for logs and status listings.
 *
 * @param spares running JVMs hosting nothing
 * @param busy running JVMs hosting processes
 * @param starting JVMs queued to start or starting
 * @param waiting spawns waiting for a starting JVM
 * @param processes processes running in worker JVMs, as they last said
 * @param retired dedicated JVMs stopped after their isolated process ended
 * @param jvms each worker JVM
 */
public record PoolStats(int spares, int busy, int starting, int waiting, int processes, long forked,
    long reaped, long crashed, long retired, long failedStarts, List<Jvm> jvms) {

  /**
   * One worker JVM: its id, node name, OS pid (0 before it is forked), state and how many processes it
   * runs (as it last said).
   */
  public record Jvm(String id, String node, long pid, String state, int processes, boolean isolated) {}

  @Override
  public String toString() {
    return "spares=" + spares + " busy=" + busy + " starting=" + starting + " waiting=" + waiting
        + " processes=" + processes + " forked=" + forked + " reaped=" + reaped + " crashed=" + crashed
        + " retired=" + retired + " failed_starts=" + failedStarts;
  }
}
