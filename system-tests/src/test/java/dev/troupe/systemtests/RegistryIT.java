package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.systemtests.Topology.Run;
import dev.troupe.systemtests.Topology.Service;
import dev.troupe.systemtests.entries.HoldEntry;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The registry-service across real JVMs: cluster-wide names, node liveness, and a registry restart
 * that the other nodes ride out.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RegistryIT {
  private static final AtomicLong NAMES = new AtomicLong();
  @RegisterExtension
  static final Topology topology = Topology.named("registry").withTestEntries().build();

  /** Tests here pause, kill and restart services: each starts from a whole, working topology. */
  @BeforeEach
  void topologyIsUpAndEchoWorks() {
    topology.up();
    topology.awaitEchoWorks(Duration.ofSeconds(60));
  }


  private static String uniqueName(String what) {
    return "it-" + what + "-" + NAMES.incrementAndGet() + "-" + System.nanoTime();
  }

  @Test
  void aNameHeldOnOneNodeCannotBeRegisteredFromAnother() {
    // given: a client on the registry's node holds a name
    AttachedProcess onRegistry = topology.attach(Service.REGISTRY);
    AttachedProcess onLauncher = topology.attach(Service.LAUNCHER);
    String name = uniqueName("unique");
    onRegistry.registry().register(name);

    // when / then: a client on the launcher's node cannot take it
    assertThatThrownBy(() -> onLauncher.registry().register(name))
        .isInstanceOf(TroupeException.class)
        .extracting(e -> ((TroupeException) e).code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
    assertThat(onLauncher.registry().lookup(name)).contains(onRegistry.pid());
    assertThat(onRegistry.registry().lookup(name)).contains(onRegistry.pid());
  }

  @Test
  void aClientsNameIsReleasedBeforeItsExitReachesAMonitorOnAnotherNode() throws InterruptedException {
    // given: a client on the launcher's node holds a name, monitored from the registry's node
    AttachedProcess owner = topology.attach(Service.LAUNCHER);
    AttachedProcess watcher = topology.attach(Service.REGISTRY);
    String name = uniqueName("client");
    owner.registry().register(name);
    assertThat(watcher.registry().lookup(name)).contains(owner.pid());
    watcher.monitor(owner.pid());

    // when: the owner ends normally
    owner.close();

    // then: by the time the EXIT arrives, the name is free
    Event exit = Mail.exitOf(watcher, owner.pid(), Duration.ofSeconds(5));
    Optional<String> holder = watcher.registry().lookup(name);
    assertThat(exit.result().isError()).as("EXIT: %s", exit.result()).isFalse();
    assertThat(holder).as("holder of '%s' when the EXIT of its owner arrived", name).isEmpty();
  }

  @Test
  void aWorkerProcessesNameIsReleasedBeforeItsExitReachesAMonitorOnAnotherNode() throws InterruptedException {
    // given: a process in a worker JVM holds a name, monitored from the registry's node
    AttachedProcess watcher = topology.attach(Service.REGISTRY);
    String name = uniqueName("worker");
    String pid = watcher.spawnMonitored(HoldEntry.ID, "app:processes", watcher.pid(), name);
    Message started = Mail.next(watcher, "started", Duration.ofSeconds(30));
    assertThat(((Map<?, ?>) started.payload()).get("name")).isEqualTo(name);
    assertThat(watcher.registry().lookup(name)).contains(pid);

    // when: it ends with an error
    watcher.send(pid, "fail", "on purpose");

    // then: by the time the EXIT arrives, the name is free
    Event exit = Mail.exitOf(watcher, pid, Duration.ofSeconds(5));
    Optional<String> holder = watcher.registry().lookup(name);
    assertThat(exit.result().error()).as("EXIT: %s", exit.result()).isEqualTo("on purpose");
    assertThat(holder).as("holder of '%s' when the EXIT of its owner arrived", name).isEmpty();
  }

  @Test
  @Order(Integer.MAX_VALUE) // last only to spare the next test a relay restart
  void aPausedRelayIsDeclaredLostWithinTheLivenessBoundAndStopsItselfWhenResumed() {
    // given
    ProcessHandle relay = topology.running(Service.RELAY);
    assertThat(topology.nodesListed()).contains("relay");
    assertThat(topology.namesListed()).containsKey("relay");

    // when: the relay's JVM is frozen (no heartbeats, its TCP connections stay open)
    int lostBefore = topology.lostLines().size();
    LocalDateTime stopped = LocalDateTime.now();
    Topology.signal(relay, "STOP");
    List<ProcessHandle> aliveAfterResume;
    try {
      // then: the registry drops it and releases its names within 3 s: 2.5 s without a heartbeat
      // (they come every 500 ms, so 2.0-2.5 s after the STOP), plus one liveness check (every 250 ms);
      // timed by the registry's log line, written once it has dropped the node and told the others
      String line = topology.awaitLostLine(lostBefore, "relay", Duration.ofSeconds(10));
      Duration lost = Duration.between(stopped, Hosts.logTime(line));
      System.out.printf("relay declared lost %d ms after SIGSTOP%n", lost.toMillis());
      assertThat(topology.nodesListed()).as("nodes after: %s", line).doesNotContain("relay");
      assertThat(topology.namesListed()).as("names after the relay was declared lost (%s ms)", lost.toMillis())
          .doesNotContainKey("relay");
      assertThat(lost).as(line).isLessThanOrEqualTo(Duration.ofSeconds(3));
      assertThat(lost).as("time to be declared lost (not before 2.5 s without a heartbeat)")
          .isGreaterThanOrEqualTo(Duration.ofMillis(1_900));
    } finally {
      Topology.signal(relay, "CONT");
      // resumed, it learns it was declared lost and stops itself (fail-stop) rather than coming back
      aliveAfterResume = Topology.stillAliveAfter(List.of(relay), Duration.ofSeconds(10));
      aliveAfterResume.forEach(ProcessHandle::destroyForcibly); // never leave it running
    }
    assertThat(aliveAfterResume).as("relay JVM 10 s after SIGCONT\n" + topology.diagnostics()).isEmpty();
  }

  @Test
  void afterTheRegistryIsKilledAndStartedAgainTheNodesRejoinWithinFiveSeconds() {
    // given
    ProcessHandle registry = topology.running(Service.REGISTRY);
    String relayPid = topology.namesListed().get("relay");

    // when: SIGKILL, then `troupe start registry` (the same command line as `up`)
    registry.destroyForcibly();
    assertThat(Topology.stillAliveAfter(List.of(registry), Duration.ofSeconds(5))).isEmpty();
    Run start = topology.start(Service.REGISTRY);
    // Its keeper may already have restarted it: `start` then says so instead of starting a second one.
    assertThat(start.stdout()).as(start.describe()).containsAnyOf(
        "registry up at " + topology.address(Service.REGISTRY), "registry already running",
        "registry is being restarted by its keeper");
    topology.awaitServing(Service.REGISTRY, Duration.ofSeconds(60)); // its JVM's start: CPU-bound, not bounded
    long t0 = System.nanoTime();

    // then: launcher and relay rejoin, and the relay's name is restored
    await("launcher and relay rejoined, 'relay' registered").atMost(Duration.ofSeconds(5))
        .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
        .until(() -> topology.nodesListed().containsAll(List.of("registry", "launcher", "relay"))
            && topology.namesListed().containsKey("relay"));
    Duration rejoined = Duration.ofNanos(System.nanoTime() - t0);
    System.out.printf("launcher and relay rejoined %d ms after the registry was SERVING again%n",
        rejoined.toMillis());
    assertThat(topology.namesListed().get("relay")).as("after %s ms", rejoined.toMillis()).isEqualTo(relayPid);
    // and the Echo CLI works again
    Run cli = topology.cliThroughPipe("hello again\n", Map.of(), Duration.ofSeconds(30),
        Topology.PATIENT_REPLY.toArray(String[]::new));
    assertThat(cli.exitCode()).as(cli.describe()).isZero();
    assertThat(cli.lines()).as(cli.describe() + "\n" + topology.diagnostics()).contains("  HELLO AGAIN");
  }
}
