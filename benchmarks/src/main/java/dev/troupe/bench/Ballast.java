package dev.troupe.bench;

/**
 * A JVM that only holds memory: {@code Ballast MB} allocates and touches that many MB, prints READY and
 * waits to be killed. The kill phase kills one with a worker JVM's anonymous RSS to measure what the
 * kernel alone takes to tear such a JVM down ({@code exit_kill_floor_ms}): no report can leave before.
 */
public final class Ballast {
  private Ballast() {}

  public static void main(String[] args) throws Exception {
    // Never outlive the bench client that started it.
    ProcessHandle.current().parent().ifPresent(h -> h.onExit().thenRun(() -> Runtime.getRuntime().halt(0)));
    int mb = Integer.parseInt(args[0]);
    byte[][] held = new byte[mb][];
    for (int i = 0; i < mb; i++) {
      held[i] = new byte[1 << 20];
      for (int p = 0; p < held[i].length; p += 4096) {
        held[i][p] = 1;
      }
    }
    System.out.println("READY " + held.length);
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
