package dev.troupe.runtime.semantics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.client.AttachedProcess;
import dev.troupe.runtime.testing.Driver.Agent;
import dev.troupe.runtime.testing.Driver;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.TestCluster;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node dies: processes elsewhere that monitor or link to its processes hear of it with
 * errorKind NODE_LOST (Troupe sends EXIT to monitors and LINK_DOWN to links; reference §4 "Node loss").
 */
@Timeout(60)
class NodeLossSemanticsTest {
  private final TestCluster cluster = new TestCluster(Entries.catalog());
  private AttachedProcess client;
  private Driver driver;

  @BeforeEach
  void start() {
    cluster.startNode("n1");
    cluster.startNode("n2");
    client = cluster.attachRemote("n1");
    driver = new Driver(client);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void shouldFireMonitorsAndTrappedLinksWithNodeLostWhenThePeerDies() throws Exception {
    // given: the client (trapping) monitors one process on n2 and is linked to another
    client.setTrapLinks(true);
    String watched = client.spawnMonitored("test:block", "app:n2");
    String linked = client.spawnLinked("test:block", "app:n2");
    client.send(watched, "t"); // both run (sends to a live process on a live node succeed)

    // when
    cluster.kill("n2");

    // then
    Map<Event.Kind, Event> events = new HashMap<>();
    for (int i = 0; i < 2; i++) {
      Event e = driver.nextEvent();
      events.put(e.kind(), e);
    }
    assertThat(events).containsOnlyKeys(Event.Kind.EXIT, Event.Kind.LINK_DOWN);
    assertThat(events.get(Event.Kind.EXIT).from()).isEqualTo(watched);
    assertThat(events.get(Event.Kind.LINK_DOWN).from()).isEqualTo(linked);
    for (Event e : events.values()) {
      assertThat(e.result().errorKind()).isEqualTo("NODE_LOST");
      assertThat(e.result().error()).contains("node lost");
    }
  }

  @Test
  void shouldFireForProcessesOnTheSurvivingNodeToo() throws Exception {
    // given: a trapping agent on n1 monitoring and linked to processes on n2
    Agent agent = driver.spawnAgent("app:n1", true, false);
    agent.ok("trap", "value", true);
    String watched = client.spawn("test:block", "app:n2");
    String linked = client.spawn("test:block", "app:n2");
    agent.ok("monitor", "target", watched);
    agent.ok("link", "target", linked);

    // when
    cluster.kill("n2");

    // then
    Map<String, Map<String, Object>> events = new HashMap<>();
    for (int i = 0; i < 2; i++) {
      Map<String, Object> e = agent.nextEvent();
      events.put((String) e.get("kind"), e);
    }
    assertThat(events).containsOnlyKeys("EXIT", "LINK_DOWN");
    assertThat(events.get("EXIT")).containsEntry("from", watched).containsEntry("errorKind", "NODE_LOST");
    assertThat(events.get("LINK_DOWN")).containsEntry("from", linked).containsEntry("errorKind", "NODE_LOST");
    assertThat((String) events.get("EXIT").get("error")).contains("node lost");
    assertThat(agent.ok("ping")).isEqualTo("pong");
  }

  @Test
  void shouldKillAnUntrappedProcessLinkedAcrossTheLostNode() throws Exception {
    // given: an untrapped agent on n1, monitored by the client, linked to a process on n2
    Agent victim = driver.spawnAgent("app:n1", false, true);
    victim.ok("link", "target", client.spawn("test:block", "app:n2"));

    // when
    cluster.kill("n2");

    // then
    Event exit = driver.nextEvent();
    assertThat(exit.kind()).isEqualTo(Event.Kind.EXIT);
    assertThat(exit.from()).isEqualTo(victim.pid());
    assertThat(exit.result().error()).isEqualTo("linked process failed");
    assertThat(exit.result().errorKind()).isEqualTo("LINKED_PROCESS_FAILED");
  }

  @Test
  void shouldReleaseTheNamesAndRefuseSendsToTheLostNode() throws Exception {
    // given
    String named = client.spawnMonitored("test:named", "app:n2", "on-n2");
    await().atMost(Driver.WAIT)
        .until(() -> client.registry().lookup("on-n2").isPresent());

    // when
    cluster.kill("n2");
    Event exit = driver.nextEvent();

    // then
    assertThat(exit.from()).isEqualTo(named);
    assertThat(exit.result().errorKind()).isEqualTo("NODE_LOST");
    assertThat(client.registry().lookup("on-n2")).isEmpty();
    ClusterSemantics.failsWith(ErrorCode.NOT_FOUND, () -> client.send("on-n2", "t"));
    ClusterSemantics.failsWith(ErrorCode.NOT_FOUND, () -> client.send(named, "t"));
    ClusterSemantics.failsWith(ErrorCode.NOT_FOUND, () -> client.spawn("test:return", "app:n2"));
  }

  @Test
  void shouldGiveMonitorsExactlyOneExitWhenAPeerStopsCleanly() throws Exception {
    // given
    String watched = client.spawnMonitored("test:block", "app:n2");

    // when
    cluster.stop("n2");

    // then: its own goodbye (CRASHED "node shutting down") or the loss, whichever comes first
    Event exit = driver.nextEvent();
    assertThat(exit.kind()).isEqualTo(Event.Kind.EXIT);
    assertThat(exit.from()).isEqualTo(watched);
    assertThat(exit.result().errorKind()).isIn("CRASHED", "NODE_LOST");
    assertThat(client.events().receive(Duration.ofMillis(300))).isEmpty();
  }
}
