package dev.troupe.launcher.core;

/** The pool's figures, for logs and status listings. */
public record PoolStats(int spares, int busy, int starting, int waiting, long forked, long reaped,
    long crashed, long reused) {
  @Override
  public String toString() {
    return "spares=" + spares + " busy=" + busy + " starting=" + starting + " waiting=" + waiting
        + " forked=" + forked + " reaped=" + reaped + " crashed=" + crashed + " reused=" + reused;
  }
}
