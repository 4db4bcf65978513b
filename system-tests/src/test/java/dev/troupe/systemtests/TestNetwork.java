package dev.troupe.systemtests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hosts on a network of the test's own: a network namespace per host, each with a veth pair to a
 * bridge in a namespace of its own, on a 10.x.y.0/24 subnet that exists only inside them and overlaps
 * nothing this machine routes. Before anything else, the root namespace gets an {@code unreachable}
 * route and rule for the subnet, so no packet for it can leave the machine (a VPN's policy rules
 * included), and no client for those addresses is ever started outside the namespaces.
 * {@link #close()} (also run by a shutdown hook) stops every process in the namespaces by PID, until
 * none is left, then removes the namespaces (and with them their links), then the route and rule.
 * Names carry this JVM's PID and the subnet, so a later run removes what a killed one left.
 *
 * <p>Faults that only a network has: {@link #partition} (a silent one: packets dropped, no FIN or
 * RST), {@link #loss} (a share of packets dropped at random) and {@link #heal}. Needs root (or
 * CAP_NET_ADMIN), iproute2 and iptables; {@link #available()} says whether this machine has them.
 */
final class TestNetwork implements AutoCloseable {
  private static final String PREFIX = "trp";
  private static final long KILL_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(20);
  private final String tag = PREFIX + ProcessHandle.current().pid();
  private final int b;
  private final int c;
  private final String subnet;
  private final String bridgeNs;
  private final List<String> hosts = new ArrayList<>();
  private final Thread hook = new Thread(this::close, "test-network-cleanup");
  private boolean routed;
  private boolean closed;

  private TestNetwork(int hostCount) {
    removeLeftovers();
    int[] free = freeSubnet();
    this.b = free[0];
    this.c = free[1];
    this.subnet = "10." + b + "." + c;
    this.bridgeNs = tag + "-br-" + b + "-" + c;
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      run("ip", "route", "add", "unreachable", subnet + ".0/24");
      run("ip", "rule", "add", "to", subnet + ".0/24", "unreachable", "pref", "100");
      routed = true;
      run("ip", "netns", "add", bridgeNs);
      run("ip", "netns", "exec", bridgeNs, "ip", "link", "add", "br0", "type", "bridge");
      run("ip", "netns", "exec", bridgeNs, "ip", "link", "set", "br0", "up");
      for (int i = 1; i <= hostCount; i++) {
        String ns = tag + "-h" + i;
        run("ip", "netns", "add", ns);
        hosts.add(ns);
        // Made inside the namespaces at once: a pair never exists in the root namespace.
        run("ip", "link", "add", link(i), "netns", ns, "type", "veth", "peer", "name", "h" + i, "netns", bridgeNs);
        run("ip", "netns", "exec", bridgeNs, "ip", "link", "set", "h" + i, "master", "br0");
        run("ip", "netns", "exec", bridgeNs, "ip", "link", "set", "h" + i, "up");
        run("ip", "netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", link(i));
        run("ip", "netns", "exec", ns, "ip", "link", "set", link(i), "up");
        run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** {@code hostCount} hosts, 1 to n, at {@link #address(int)}. */
  static TestNetwork create(int hostCount) {
    return new TestNetwork(hostCount);
  }

  /** Whether namespaces, veth pairs and iptables work here (root, iproute2, iptables). */
  static boolean available() {
    String probe = PREFIX + ProcessHandle.current().pid() + "-probe";
    try {
      if (exec(List.of("iptables", "-V")) != 0 || exec(List.of("ip", "netns", "add", probe)) != 0) {
        return false;
      }
      return exec(List.of("ip", "netns", "exec", probe, "iptables", "-L", "-n")) == 0;
    } finally {
      exec(List.of("ip", "netns", "del", probe));
    }
  }

  /** Host {@code i}'s address, e.g. 10.123.45.2 for host 2. */
  String address(int i) {
    return subnet + "." + i;
  }

  String namespace(int i) {
    return hosts.get(i - 1);
  }

  /** {@code command} run inside host {@code i}'s namespace (ip netns exec execs it: same PID). */
  ProcessBuilder inHost(int i, List<String> command) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace(i)));
    cmd.addAll(command);
    return new ProcessBuilder(cmd);
  }

  /** Host {@code i} falls silent: every packet in or out of its link is dropped, without a reset. */
  void partition(int i) {
    rules(i, "-j DROP");
  }

  /** A share (0..1) of the packets in and out of host {@code i}'s link is dropped at random. */
  void loss(int i, double share) {
    rules(i, "-m statistic --mode random --probability " + share + " -j DROP");
  }

  /** Both directions of host {@code i}'s link at once (one iptables-restore: outgoing first). */
  private void rules(int i, String match) {
    String table = "*filter\n-A OUTPUT -o " + link(i) + " " + match + "\n-A INPUT -i " + link(i) + " " + match
        + "\nCOMMIT\n";
    try {
      Process p = inHost(i, List.of("iptables-restore", "--noflush")).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      try (var in = p.getOutputStream()) {
        in.write(table.getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("iptables-restore in " + namespace(i) + " failed:\n" + table);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Host {@code i}'s link works again. */
  void heal(int i) {
    run("ip", "netns", "exec", namespace(i), "iptables", "-F");
  }

  private String link(int i) {
    return tag + "h" + i;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    boolean interrupted = Thread.interrupted(); // cleanup must run whole even when the test was interrupted
    try {
      for (String ns : hosts) {
        stopAllIn(ns);
      }
      for (String ns : hosts) {
        exec(List.of("ip", "netns", "del", ns));
      }
      exec(List.of("ip", "netns", "del", bridgeNs));
      if (routed) {
        exec(List.of("ip", "rule", "del", "to", subnet + ".0/24", "unreachable", "pref", "100"));
        exec(List.of("ip", "route", "del", "unreachable", subnet + ".0/24"));
      }
      if (Thread.currentThread() != hook) {
        Runtime.getRuntime().removeShutdownHook(hook);
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Kills, by PID, every process in namespace {@code ns} ({@code ip netns pids}: by their network
   * namespace, so daemons too), again and again until none is left: a keeper or a launcher may start
   * one between a listing and the kill.
   */
  private static void stopAllIn(String ns) {
    long deadline = System.nanoTime() + KILL_DEADLINE_NANOS;
    while (System.nanoTime() < deadline) {
      List<ProcessHandle> live = new ArrayList<>();
      for (String token : output(List.of("ip", "netns", "pids", ns)).split("\\s+")) {
        if (token.matches("\\d+")) {
          ProcessHandle.of(Long.parseLong(token)).ifPresent(live::add);
        }
      }
      if (live.isEmpty()) {
        return;
      }
      live.forEach(ProcessHandle::destroyForcibly);
      for (ProcessHandle h : live) {
        h.onExit().completeOnTimeout(null, 2, TimeUnit.SECONDS).join();
      }
    }
  }

  /** Namespaces (and their route and rule) of runs whose JVM is gone (killed before its close). */
  private static void removeLeftovers() {
    for (String line : output(List.of("ip", "netns", "list")).split("\n")) {
      String ns = line.split(" ")[0];
      if (!ns.matches(PREFIX + "\\d+-.*")) {
        continue;
      }
      long pid = Long.parseLong(ns.substring(PREFIX.length(), ns.indexOf('-')));
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        continue; // a live run's (this JVM's own included)
      }
      stopAllIn(ns);
      exec(List.of("ip", "netns", "del", ns));
      String[] parts = ns.split("-");
      if (parts.length == 4 && parts[1].equals("br")) {
        String net = "10." + parts[2] + "." + parts[3] + ".0/24";
        exec(List.of("ip", "rule", "del", "to", net, "unreachable", "pref", "100"));
        exec(List.of("ip", "route", "del", "unreachable", net));
      }
    }
  }

  /** A 10.b.c.0/24 that this machine neither has an address in nor routes anywhere but by default. */
  private static int[] freeSubnet() {
    String addresses = output(List.of("ip", "-4", "addr", "show"));
    for (int tries = 0; tries < 100; tries++) {
      ThreadLocalRandom r = ThreadLocalRandom.current();
      int b = r.nextInt(100, 250);
      int c = r.nextInt(1, 250);
      String net = "10." + b + "." + c;
      boolean routedElsewhere = output(List.of("ip", "-4", "route", "show", "match", net + ".1")).lines()
          .anyMatch(l -> !l.isBlank() && !l.startsWith("default"));
      if (!routedElsewhere && !addresses.contains(" " + net + ".") && !addresses.contains(" 10." + b + ".")) {
        return new int[] {b, c};
      }
    }
    throw new IllegalStateException("no free 10.x.y.0/24 subnet found for the test network");
  }

  private static void run(String... cmd) {
    int code = exec(List.of(cmd));
    if (code != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed with exit code " + code);
    }
  }

  private static int exec(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** What {@code cmd} prints on stdout ("" when it cannot run); its errors are not mixed in. */
  private static String output(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(30, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
