package dev.troupe.systemtests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hosts on a network of the test's own: a network namespace per host, each with a veth pair to a
 * bridge in a namespace of its own, on a 10.x.y.0/24 subnet that exists only inside them. Before
 * anything else, the root namespace gets an {@code unreachable} route for the subnet, so no packet
 * for it can leave the machine, and no client for those addresses is ever started outside the
 * namespaces. {@link #close()} removes every namespace (and with them their links), the route, and
 * what was started in them, by PID; names carry this JVM's PID, so a later run removes what a killed
 * one left.
 *
 * <p>Faults that only a network has: {@link #partition} (a silent one: packets dropped, no FIN or
 * RST), {@link #loss} (a share of packets dropped at random) and {@link #heal}. Needs root (or
 * CAP_NET_ADMIN), iproute2 and iptables; {@link #available()} says whether this machine has them.
 */
final class TestNetwork implements AutoCloseable {
  private static final String PREFIX = "trp";
  private final String tag = PREFIX + ProcessHandle.current().pid() % 100_000;
  private final String subnet;
  private final String bridgeNs;
  private final List<String> hosts = new ArrayList<>();
  private final List<ProcessHandle> started = new ArrayList<>();
  private boolean routeAdded;

  private TestNetwork(int hostCount) {
    removeLeftovers();
    ThreadLocalRandom r = ThreadLocalRandom.current();
    this.subnet = "10." + r.nextInt(100, 250) + "." + r.nextInt(1, 250);
    this.bridgeNs = tag + "-br";
    try {
      run("ip", "route", "add", "unreachable", subnet + ".0/24");
      routeAdded = true;
      run("ip", "netns", "add", bridgeNs);
      run("ip", "netns", "exec", bridgeNs, "ip", "link", "add", "br0", "type", "bridge");
      run("ip", "netns", "exec", bridgeNs, "ip", "link", "set", "br0", "up");
      for (int i = 1; i <= hostCount; i++) {
        String ns = tag + "-h" + i;
        String inside = tag + "h" + i + "a";
        String outside = tag + "h" + i + "b";
        run("ip", "netns", "add", ns);
        hosts.add(ns);
        run("ip", "link", "add", inside, "type", "veth", "peer", "name", outside);
        run("ip", "link", "set", inside, "netns", ns);
        run("ip", "link", "set", outside, "netns", bridgeNs);
        run("ip", "netns", "exec", bridgeNs, "ip", "link", "set", outside, "master", "br0");
        run("ip", "netns", "exec", bridgeNs, "ip", "link", "set", outside, "up");
        run("ip", "netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", inside);
        run("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up");
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
    String probe = PREFIX + "probe" + ProcessHandle.current().pid() % 100_000;
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

  /** Remembers a process started in a host, to stop it (and what it started) at close. */
  void track(Process p) {
    started.add(p.toHandle());
  }

  /** Host {@code i} falls silent: every packet in or out of its link is dropped, without a reset. */
  void partition(int i) {
    String link = tag + "h" + i + "a";
    run("ip", "netns", "exec", namespace(i), "iptables", "-A", "INPUT", "-i", link, "-j", "DROP");
    run("ip", "netns", "exec", namespace(i), "iptables", "-A", "OUTPUT", "-o", link, "-j", "DROP");
  }

  /** A share (0..1) of the packets in and out of host {@code i}'s link is dropped at random. */
  void loss(int i, double share) {
    String link = tag + "h" + i + "a";
    String p = Double.toString(share);
    run("ip", "netns", "exec", namespace(i), "iptables", "-A", "INPUT", "-i", link, "-m", "statistic",
        "--mode", "random", "--probability", p, "-j", "DROP");
    run("ip", "netns", "exec", namespace(i), "iptables", "-A", "OUTPUT", "-o", link, "-m", "statistic",
        "--mode", "random", "--probability", p, "-j", "DROP");
  }

  /** Host {@code i}'s link works again. */
  void heal(int i) {
    run("ip", "netns", "exec", namespace(i), "iptables", "-F");
  }

  @Override
  public void close() {
    for (ProcessHandle h : started) {
      h.descendants().forEach(ProcessHandle::destroyForcibly);
      h.destroyForcibly();
    }
    for (String ns : hosts) {
      killIn(ns);
      exec(List.of("ip", "netns", "del", ns));
    }
    hosts.clear();
    exec(List.of("ip", "netns", "del", bridgeNs));
    if (routeAdded) {
      exec(List.of("ip", "route", "del", "unreachable", subnet + ".0/24"));
      routeAdded = false;
    }
  }

  /** Kills, by PID, every process still in namespace {@code ns} (ip netns pids lists them). */
  private static void killIn(String ns) {
    for (String pid : output(List.of("ip", "netns", "pids", ns)).split("\\s+")) {
      if (!pid.isBlank()) {
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  /** Namespaces of runs whose JVM is gone (killed before its close). */
  private static void removeLeftovers() {
    for (String line : output(List.of("ip", "netns", "list")).split("\n")) {
      String ns = line.split(" ")[0];
      if (!ns.matches(PREFIX + "\\d+-.*")) {
        continue;
      }
      long pid = Long.parseLong(ns.substring(PREFIX.length(), ns.indexOf('-')));
      boolean mine = pid == ProcessHandle.current().pid() % 100_000;
      boolean owned = ProcessHandle.allProcesses().anyMatch(h -> h.pid() % 100_000 == pid && h.isAlive());
      if (!mine && !owned) {
        killIn(ns);
        exec(List.of("ip", "netns", "del", ns));
      }
    }
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

  private static String output(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(30, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
