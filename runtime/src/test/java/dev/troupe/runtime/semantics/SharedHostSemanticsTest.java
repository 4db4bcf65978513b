package dev.troupe.runtime.semantics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.runtime.registry.Shard;
import dev.troupe.runtime.testing.Driver;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.TestCluster;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A host served by many nodes at once, as a launcher's worker JVMs serve {@code app:processes}: each
 * member owns a range of the host's ids, so PIDs keep the form {@code {app:pool|0x00004}} and still
 * name one node; spawners place on the members directly, and a member's loss fires exactly the
 * monitors of its own processes.
 */
@Timeout(60)
class SharedHostSemanticsTest {
  private static final String POOL = "app:pool";
  private final TestCluster cluster = new TestCluster(Entries.catalog());
  private AttachedProcess client;
  private Driver driver;

  @BeforeEach
  void start() {
    cluster.startNode("spawner");
    cluster.startMember("m1", POOL, "launcher");
    cluster.startMember("m2", POOL, "launcher");
    client = cluster.attachRemote("spawner");
    driver = new Driver(client);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private static Set<String> membersOf(TestCluster cluster, List<String> pids) {
    Set<String> nodes = new HashSet<>();
    for (String p : pids) {
      nodes.add(cluster.directory().nodeServing(Pid.parse(p)).orElseThrow().name());
    }
    return nodes;
  }

  @Test
  void eachMemberServesItsOwnRangeOfTheHostsIdsAndTheFirstKeepsTheTutorialsForm() {
    var m1 = cluster.node("m1").self().shard();
    var m2 = cluster.node("m2").self().shard();
    assertThat(m1.firstId()).isEqualTo(1);
    assertThat(m1.endId()).isEqualTo(Shard.SPAN);
    assertThat(m2.firstId()).isEqualTo(Shard.SPAN);
    assertThat(m1.overlaps(m2)).isFalse();
  }

  @Test
  void spawnsOnASharedHostGoStraightToItsMembersInTurn() throws Exception {
    // when the client spawns four processes on the shared host
    List<String> pids = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      pids.add(client.spawn("test:block", POOL));
    }

    // then both members run some, each PID is in its member's range, and messages reach them
    assertThat(membersOf(cluster, pids)).containsExactlyInAnyOrder("m1", "m2");
    assertThat(pids).anyMatch(p -> p.matches("\\{app:pool\\|0x0000[0-9a-f]\\}"));
    for (String p : pids) {
      client.send(p, "t");
    }
    assertThat(cluster.node("m1").processCount() + cluster.node("m2").processCount()).isEqualTo(4);
  }

  @Test
  void aMemberWhoseHeapIsFullAfterCollectionRefusesNewProcessesUntilItHasRoomAgain() throws Exception {
    // given m1's heap in use after collection is above its limit (a fake guard: a real heap would need
    // this test's JVM filled to 90 %)
    java.util.concurrent.atomic.AtomicLong used = new java.util.concurrent.atomic.AtomicLong(95);
    cluster.node("m1").heapGuard(new dev.troupe.runtime.node.HeapGuard(90, used::get, 100));

    // then spawns placed on m1 are refused with RESOURCE_EXHAUSTED naming the heap and what to raise,
    // and go to m2
    List<String> placed = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      try {
        placed.add(client.spawn("test:block", POOL));
      } catch (TroupeException e) {
        assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(e.getMessage()).contains("m1").contains("heap 95 % full after the last collection")
            .contains("--worker-heap-mb");
      }
    }
    assertThat(membersOf(cluster, placed)).containsOnly("m2");
    assertThat(cluster.node("m1").heapFull()).isTrue();

    // when a collection frees room, it takes processes again
    used.set(50);
    await().atMost(Driver.WAIT).until(() -> !cluster.node("m1").heapFull());
    // (once the spawner's back-off for a member that refused has passed)
    await().atMost(Driver.WAIT).until(() -> membersOf(cluster, List.of(client.spawn("test:block", POOL))).contains("m1"));
  }

  @Test
  void aDrainingMemberRefusesNewProcessesWithACodeAndKeepsThoseItRuns() throws Exception {
    // given a process on each member
    List<String> before = List.of(client.spawn("test:block", POOL), client.spawn("test:block", POOL));
    assertThat(membersOf(cluster, before)).containsExactlyInAnyOrder("m1", "m2");

    // when m1 drains (its launcher is about to stop it)
    cluster.node("m1").drain();

    // then no new process starts there: a spawn placed on it is refused with RESOURCE_EXHAUSTED (which
    // makes a spawner place it through the host's launcher), the others go to m2
    List<String> after = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      try {
        after.add(client.spawn("test:block", POOL));
      } catch (TroupeException e) {
        assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(e.getMessage()).contains("m1").contains("draining");
      }
    }
    assertThat(after).isNotEmpty();
    assertThat(membersOf(cluster, after)).containsExactly("m2");
    // and the process it ran goes on
    assertThat(cluster.node("m1").processCount()).isEqualTo(1);
  }

  @Test
  void aMonitorOfAProcessOnAMemberGetsItsExitAndNothingOfTheOtherMember() throws Exception {
    String echo = client.spawnMonitored("test:return", POOL, "done");
    Event exit = driver.nextEvent();
    assertThat(exit.kind()).isEqualTo(Event.Kind.EXIT);
    assertThat(exit.from()).isEqualTo(echo);
    assertThat(exit.result().value()).isEqualTo("done");
  }

  @Test
  void aLostMemberFiresTheMonitorsOfItsOwnProcessesWithTheCauseItsOwnerReported() throws Exception {
    // given the client monitors one process on each member
    String a = client.spawnMonitored("test:block", POOL);
    String b = client.spawnMonitored("test:block", POOL);
    assertThat(membersOf(cluster, List.of(a, b))).hasSize(2);
    String onM1 = cluster.directory().nodeServing(Pid.parse(a)).orElseThrow().name().equals("m1") ? a : b;
    String onM2 = onM1.equals(a) ? b : a;

    // when m1's owner reports it dead (a launcher saw its JVM killed)
    var m1 = cluster.node("m1").self();
    cluster.directory().declareLost(new dev.troupe.runtime.registry.NodeRecord("launcher", 1, "", List.of()),
        "m1", m1.incarnation(), "worker JVM killed by signal 9 (SIGKILL)");

    // then exactly the monitor of m1's process fires, naming the cause
    Event e = driver.nextEvent();
    assertThat(e.from()).isEqualTo(onM1);
    assertThat(e.result().errorKind()).isEqualTo("CRASHED");
    assertThat(e.result().error()).isEqualTo("worker JVM killed by signal 9 (SIGKILL)");
    client.send(onM2, "still-alive"); // the other member's process lives on
    cluster.kill("m1");
  }

  @Test
  void onlyTheOwnerMayDeclareAMemberLost() {
    var m1 = cluster.node("m1").self();
    cluster.directory().declareLost(new dev.troupe.runtime.registry.NodeRecord("intruder", 1, "", List.of()),
        "m1", m1.incarnation(), "forged");
    assertThat(cluster.directory().node("m1")).isPresent();
  }

  @Test
  void aSpawnOnASharedHostWithNoMemberAndNoOwnerIsRefusedWithACode() {
    cluster.stop("m1");
    cluster.stop("m2");
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.directory().members(POOL).isEmpty());
    assertThatThrownBy(() -> client.spawn("test:block", POOL))
        .isInstanceOfSatisfying(TroupeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }
}
