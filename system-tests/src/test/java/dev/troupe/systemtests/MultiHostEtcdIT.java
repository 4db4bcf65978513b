package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.systemtests.Hosts.Result;
import dev.troupe.systemtests.Hosts.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The registry on etcd across five hosts of a network the test makes: etcd on host 1, two registry
 * replicas on hosts 2 and 3 (both over that etcd), the launcher and the relay on host 4 (joined to
 * "host2:7400,host3:7400"), and {@code cli-client --connect} on host 5. Cutting off a replica's host
 * moves its nodes to the other replica without anyone declaring them lost; cutting off the nodes'
 * host gets them declared lost within 3 s, by etcd's store, as the in-memory one does.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHostEtcdIT {
  private static final int ETCD = 1;
  private static final int REGISTRY_A = 2;
  private static final int REGISTRY_B = 3;
  private static final int NODES = 4;
  private static final int CLIENT = 5;
  private static Hosts hosts;

  @BeforeAll
  static void fiveHostsWithEtcdAndTwoRegistryReplicas() throws Exception {
    hosts = Hosts.create("multi-host-etcd", 5, host -> host == REGISTRY_B
        ? Map.of("TROUPE_REGISTRY", replicas(), "TROUPE_ETCD_ENDPOINTS", etcdEndpoint(),
            "TROUPE_REGISTRY_NAME", "registry-2")
        : Map.of("TROUPE_REGISTRY", replicas(), "TROUPE_ETCD_ENDPOINTS", etcdEndpoint()));
    startEtcd();
    Hosts.assertStarted(hosts.troupe(REGISTRY_A, "start", "registry"));
    Hosts.assertStarted(hosts.troupe(REGISTRY_B, "start", "registry"));
    Hosts.assertStarted(hosts.troupe(NODES, "start", "launcher"));
    Hosts.assertStarted(hosts.troupe(NODES, "start", "relay"));
  }

  private static String replicas() {
    return hosts.address(REGISTRY_A) + ":7400," + hosts.address(REGISTRY_B) + ":7400";
  }

  private static String etcdEndpoint() {
    return "http://" + hosts.address(ETCD) + ":2379";
  }

  /** One etcd member in host 1 (stopped with everything in the namespaces), healthy before we go on. */
  private static void startEtcd() throws Exception {
    String self = hosts.address(ETCD);
    Path data = Files.createDirectories(hosts.work.resolve("etcd"));
    hosts.start(ETCD, List.of("etcd", "--name", "e1", "--data-dir", data.toString(),
        "--listen-client-urls", etcdEndpoint(), "--advertise-client-urls", etcdEndpoint(),
        "--listen-peer-urls", "http://" + self + ":2380", "--initial-advertise-peer-urls", "http://" + self + ":2380",
        "--initial-cluster", "e1=http://" + self + ":2380", "--auto-compaction-retention", "1h"));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    Result health;
    do {
      assertThat(System.nanoTime()).as("etcd answers in host 1").isLessThan(deadline);
      health = etcdctl("endpoint", "health");
    } while (health.code() != 0);
  }

  /** etcdctl in host 1 (never outside the namespaces). */
  private static Result etcdctl(String... args) {
    List<String> cmd = new java.util.ArrayList<>(List.of("etcdctl", "--endpoints", etcdEndpoint()));
    cmd.addAll(List.of(args));
    var r = hosts.net.inHost(ETCD, cmd);
    r.environment().put("ETCDCTL_API", "3");
    try {
      Process p = r.redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      return new Result(p.waitFor(), out, "");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  @Timeout(value = 400, unit = TimeUnit.SECONDS)
  static void stopEverything() {
    if (hosts != null) {
      hosts.down(NODES, REGISTRY_B, REGISTRY_A);
    }
  }

  @Test
  @Order(1)
  void anEchoCrossesHostsWithTheDirectoryInEtcd() {
    Result cli = hosts.patientCli(CLIENT, NODES, "hello etcd\n");

    assertThat(cli.code()).as(cli.describe()).isZero();
    assertThat(cli.stdout()).as(cli.describe()).contains("  HELLO ETCD");
    Result keys = etcdctl("get", "--prefix", "/troupe/nodes/", "--keys-only");
    assertThat(keys.stdout()).as(keys.describe()).contains("/troupe/nodes/relay", "/troupe/nodes/launcher",
        "/troupe/nodes/registry", "/troupe/nodes/registry-2");
  }

  @Test
  @Order(2)
  void whenAReplicasHostIsCutOffItsNodesMoveToTheOtherReplicaAndNoneIsDeclaredLost() throws Exception {
    // given: the nodes use the first replica
    long relayJvm = pidOf("relay");
    long launcherJvm = pidOf("launcher");

    // when: its host falls silent
    LocalDateTime cut = LocalDateTime.now();
    hosts.net.partition(REGISTRY_A);
    try {
      // then: the launcher, its worker JVMs and the relay move their sessions to the other replica
      awaitLog(REGISTRY_B, List.of("node relay#", "node launcher#", "node launcher.w"), "moved its session here",
          Duration.ofSeconds(30));
      LocalDateTime lastMoved = hosts.registryLog(REGISTRY_B, l -> l.contains("moved its session here")).stream()
          .map(Hosts::logTime).max(LocalDateTime::compareTo).orElseThrow();
      System.out.printf("replica cut off to the last node moved: %d ms%n", Duration.between(cut, lastMoved).toMillis());
      Result during = hosts.cli(CLIENT, NODES, "during the cut\n");
      assertThat(during.stdout()).as(during.describe()).contains("  DURING THE CUT");
      Status status = hosts.awaitStatus(CLIENT, s -> s.nodes().containsAll(List.of("relay", "launcher", "registry-2")),
          "the other replica lists the nodes", Duration.ofSeconds(30));
      assertThat(status.names()).as(status.text()).containsKey("relay");
      assertThat(status.text()).contains("registry: registry-2 at " + hosts.address(REGISTRY_B) + ":7400 (directory: etcd "
          + etcdEndpoint() + " under /troupe/)");
    } finally {
      hosts.net.heal(REGISTRY_A);
    }

    // and no one declared them lost: the same JVMs serve on
    assertThat(hosts.lostLines(REGISTRY_B)).noneMatch(l -> l.contains("node relay#") || l.contains("node launcher"));
    assertThat(ProcessHandle.of(relayJvm).map(ProcessHandle::isAlive)).contains(true);
    assertThat(ProcessHandle.of(launcherJvm).map(ProcessHandle::isAlive)).contains(true);
    Result after = hosts.patientCli(CLIENT, NODES, "after the cut\n");
    assertThat(after.stdout()).as(after.describe()).contains("  AFTER THE CUT");
  }

  @Test
  @Order(3)
  void aSilentlyPartitionedNodesHostIsDeclaredLostWithinThreeSecondsAndItsNodesComeBackAsNewLives()
      throws Exception {
    long relayJvm = pidOf("relay");
    long launcherJvm = pidOf("launcher");
    Status before = hosts.awaitStatus(CLIENT, s -> s.nodes().containsAll(List.of("relay", "launcher"))
            && s.incarnations().containsKey("launcher"),
        "the relay and the launcher listed", Duration.ofSeconds(60));
    String launcherBefore = before.incarnations().get("launcher");
    int lostBefore = hosts.lostLines(REGISTRY_B).size();

    // when
    LocalDateTime partitioned = LocalDateTime.now();
    hosts.net.partition(NODES);
    try {
      // then: the replica that holds their sessions declares them lost within 3 s
      List<String> lost = awaitNewLost(lostBefore, "node relay#", Duration.ofSeconds(30));
      String relayLost = lost.stream().filter(l -> l.contains("node relay#")).findFirst().orElseThrow();
      Duration took = Duration.between(partitioned, Hosts.logTime(relayLost));
      System.out.printf("partition to NODE_LOST of the relay, registry on etcd: %d ms%n", took.toMillis());
      assertThat(took).as(relayLost).isLessThanOrEqualTo(Duration.ofSeconds(3));
      Result keys = etcdctl("get", "--prefix", "/troupe/names/relay");
      assertThat(keys.stdout()).as("the relay's name is released in etcd\n" + keys.describe()).doesNotContain("relay");
      // and the launcher, on the same host (the echo after healing needs its new life)
      awaitNewLost(lostBefore, "node launcher#", Duration.ofSeconds(30));
    } finally {
      hosts.net.heal(NODES);
    }

    // and after healing: the old lives stop, their keepers start new ones
    Hosts.assertEndsByItself(relayJvm, "the relay's JVM, after the partition healed");
    Hosts.assertEndsByItself(launcherJvm, "the launcher's JVM, after the partition healed");
    hosts.awaitStatus(CLIENT, s -> s.names().containsKey("relay") && s.nodes().contains("relay")
            && s.nodes().contains("launcher") && !launcherBefore.equals(s.incarnations().get("launcher"))
            && s.nodes().stream().anyMatch(n -> n.startsWith("launcher.w")),
        "new lives of the relay, the launcher and a worker JVM", Duration.ofSeconds(90));
    Result cli = hosts.patientCli(CLIENT, NODES, "after the partition\n");
    assertThat(cli.stdout()).as(cli.describe()).contains("  AFTER THE PARTITION");
  }

  // ---------------------------------------------------------------- helpers

  private static long pidOf(String service) throws Exception {
    return Long.parseLong(Files.readString(hosts.runDir(NODES).resolve(service + ".pid")).strip());
  }

  /** Waits until the registry log on {@code host} has a line with {@code what} for each of {@code nodes}. */
  private static void awaitLog(int host, List<String> nodes, String what, Duration within) {
    await("'" + what + "' for each of " + nodes + " in host " + host + "'s registry log").atMost(within)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> hosts.registryLog(host, l -> l.contains(what)),
            lines -> nodes.stream().allMatch(n -> lines.stream().anyMatch(l -> l.contains(n))));
  }

  /** The lost lines of both replicas after the first {@code before} of B's, once one names {@code node}. */
  private static List<String> awaitNewLost(int before, String node, Duration within) {
    return await("a replica declares " + node + " lost").atMost(within).pollInterval(Duration.ofMillis(100))
        .until(() -> {
          List<String> b = hosts.lostLines(REGISTRY_B);
          List<String> fresh = new java.util.ArrayList<>(b.subList(Math.min(before, b.size()), b.size()));
          fresh.addAll(hosts.lostLines(REGISTRY_A).stream().filter(l -> l.contains(node)).toList());
          return fresh;
        }, fresh -> fresh.stream().anyMatch(l -> l.contains(node)));
  }
}
