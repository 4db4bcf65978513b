package dev.troupe.runtime.semantics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.runtime.testing.Driver.Agent;
import dev.troupe.runtime.testing.Driver;
import dev.troupe.runtime.testing.Setup;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** EXIT on every exit to every monitor; monitor errors; unmonitor (reference §4). */
@ParameterizedClass(name = "{0}")
@EnumSource(Setup.class)
class MonitorSemanticsTest extends ClusterSemantics {

  MonitorSemanticsTest(Setup setup) {
    super(setup);
  }

  @Test
  void shouldSendExitWithTheReturnedValueOnANormalExit() throws Exception {
    String child = client.spawnMonitored("test:return", far, Map.of("answer", 42L));

    Event exit = nextEvent(Event.Kind.EXIT, child);

    assertThat(exit.result().isError()).isFalse();
    assertThat(exit.result().value()).isEqualTo(Map.of("answer", 42L));
    assertThat(exit.atUnixMs()).isPositive();
  }

  @Test
  void shouldSendExitWithTheErrorTextOnAnErrorExit() throws Exception {
    String child = client.spawnMonitored("test:fail", far, "it broke");

    Event exit = nextEvent(Event.Kind.EXIT, child);

    assertThat(exit.result().error()).isEqualTo("it broke");
    assertThat(exit.result().errorKind()).isEqualTo("FAILED");
    assertThat(exit.result().value()).isNull();
  }

  @Test
  void shouldSendExitToEveryMonitor() throws Exception {
    // given: a target monitored by the client and by an agent on the client's node
    String target = client.spawn("test:await", far);
    client.monitor(target);
    Agent other = driver.spawnAgent(near, true, false);
    other.ok("monitor", "target", target);

    // when
    client.send(target, "fail", "both see this");

    // then
    Event exit = nextEvent(Event.Kind.EXIT, target);
    assertThat(exit.result().error()).isEqualTo("both see this");
    assertThat(other.nextEvent()).containsEntry("kind", "EXIT").containsEntry("from", target)
        .containsEntry("error", "both see this");
  }

  @Test
  void shouldSendExitToEveryMonitorOnANormalExitToo() throws Exception {
    String target = client.spawnMonitored("test:await", far);
    Agent other = driver.spawnAgent(far, true, false);
    other.ok("monitor", "target", target);

    client.send(target, "done", "fine");

    assertThat(nextEvent(Event.Kind.EXIT, target).result().value()).isEqualTo("fine");
    assertThat(other.nextEvent()).containsEntry("kind", "EXIT").containsEntry("value", "fine");
  }

  @Test
  void shouldSendExitForAChildThatExitsInstantly() throws Exception {
    // when: many children that end before the spawn call returns
    Set<String> children = new HashSet<>();
    for (int i = 0; i < 25; i++) {
      children.add(client.spawnMonitored(i % 2 == 0 ? "test:return" : "test:fail", far, "x" + i));
    }

    // then: one EXIT each
    Set<String> exited = new HashSet<>();
    for (int i = 0; i < 25; i++) {
      Event e = driver.nextEvent();
      assertThat(e.kind()).isEqualTo(Event.Kind.EXIT);
      exited.add(e.from());
    }
    assertThat(exited).isEqualTo(children);
    driver.expectNoOtherEventFrom(far);
  }

  @Test
  void shouldSendExitForAnInstantChildSpawnedByAProcess() throws Exception {
    Agent parent = driver.spawnAgent(near, true, false);

    String child = (String) parent.ok("spawn", "entry", "test:return", "host", far,
        "args", List.of("quick"), "monitor", true);

    assertThat(parent.nextEvent()).containsEntry("kind", "EXIT").containsEntry("from", child)
        .containsEntry("value", "quick");
  }

  @Test
  void shouldSendNoExitAfterUnmonitor() throws Exception {
    // given: the client monitors then unmonitors; a witness agent keeps monitoring
    String target = client.spawn("test:await", far);
    client.monitor(target);
    Agent witness = driver.spawnAgent(near, true, false);
    witness.ok("monitor", "target", target);

    // when
    client.unmonitor(target);
    client.send(target, "done", "bye");

    // then: the witness sees the exit, the client gets nothing about it
    assertThat(witness.nextEvent()).containsEntry("kind", "EXIT").containsEntry("from", target);
    driver.expectNoOtherEventFrom(far);
  }

  @Test
  void shouldNeverFailUnmonitorWhenNotMonitoring() throws Exception {
    String target = client.spawn("test:await", far);

    client.unmonitor(target);
    client.unmonitor(target);

    client.send(target, "done", "x");
  }

  @Test
  void shouldFailNotFoundWhenMonitoringADeadPid() throws Exception {
    // given
    String dead = client.spawnMonitored("test:return", far, "gone");
    nextEvent(Event.Kind.EXIT, dead);

    // when / then: an error, and no EXIT either
    var e = failsWith(ErrorCode.NOT_FOUND, () -> client.monitor(dead));
    assertThat(e.getMessage()).contains("not registered");
    driver.expectNoOtherEventFrom(far);
  }

  @Test
  void shouldFailNotFoundWhenAProcessMonitorsADeadPid() throws Exception {
    Agent agent = driver.spawnAgent(near, true, false);
    String dead = client.spawnMonitored("test:return", far, "gone");
    nextEvent(Event.Kind.EXIT, dead);

    assertThat(agent.fails("monitor", "target", dead)).containsEntry("code", "NOT_FOUND");
  }

  @Test
  void shouldFailAlreadyExistsWhenMonitoringTwice() throws Exception {
    // given
    String target = client.spawn("test:await", far);
    client.monitor(target);

    // when / then
    var e = failsWith(ErrorCode.ALREADY_EXISTS, () -> client.monitor(target));
    assertThat(e.getMessage()).contains("already monitoring");

    // and still exactly one EXIT
    client.send(target, "done", "once");
    assertThat(nextEvent(Event.Kind.EXIT, target).result().value()).isEqualTo("once");
    driver.expectNoOtherEventFrom(far);
  }

  @Test
  void shouldFailAlreadyExistsWhenMonitoringAMonitoredChildAgain() throws Exception {
    String child = client.spawnMonitored("test:await", far);

    failsWith(ErrorCode.ALREADY_EXISTS, () -> client.monitor(child));

    client.send(child, "done", 1);
  }

  @Test
  void shouldEitherFailOrDeliverExitWhenMonitoringAProcessThatIsExiting() throws Exception {
    // given: processes that end as soon as they start
    Set<String> monitored = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      String target = client.spawn("test:return", far, i);
      // when: monitoring races the exit
      try {
        client.monitor(target);
        monitored.add(target);
      } catch (TroupeException e) {
        assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
      }
    }

    // then: every monitor that was accepted delivers its EXIT, and no other arrives
    Set<String> exited = new HashSet<>();
    for (int i = 0; i < monitored.size(); i++) {
      Event e = driver.nextEvent();
      assertThat(e.kind()).isEqualTo(Event.Kind.EXIT);
      exited.add(e.from());
    }
    assertThat(exited).isEqualTo(monitored);
    driver.expectNoOtherEventFrom(far);
  }

  @Test
  void shouldTreatANodeQualifiedPidAsTheSameProcess() throws Exception {
    // given: a process, and its PID in the cluster form {node@host|id}
    String target = client.spawn("test:await", far);
    Pid p = Pid.parse(target);
    String qualified = new Pid(far.substring("app:".length()), p.host(), p.id()).toString();

    // when
    client.monitor(qualified);
    client.send(qualified, "done", "qualified");

    // then: the EXIT (whose from is the plain PID) still counts for that monitor
    assertThat(nextEvent(Event.Kind.EXIT, target).result().value()).isEqualTo("qualified");
    failsWith(ErrorCode.NOT_FOUND, () -> client.monitor(qualified));
    // a node that does not serve that host does not have that process
    failsWith(ErrorCode.NOT_FOUND, () -> client.send("{n9@" + p.host() + "|" + Pid.formatId(p.id()) + "}", "t"));
  }

  @Test
  void shouldSendExitWhenAClientAttachedToTheFarNodeCloses() throws Exception {
    // given: another client attached over gRPC to the far host's node, monitored by ours
    AttachedProcess other = cluster.attachRemote(far.substring("app:".length()));
    client.monitor(other.pid());

    // when
    other.close();

    // then: a normal exit without a value
    Event exit = nextEvent(Event.Kind.EXIT, other.pid());
    assertThat(exit.result().isError()).isFalse();
    assertThat(exit.result().value()).isNull();
  }

  @Test
  void shouldMonitorByRegisteredName() throws Exception {
    // given
    String named = client.spawn("test:named", far, "watched-by-name");
    await().atMost(Driver.WAIT)
        .until(() -> client.registry().lookup("watched-by-name").isPresent());

    // when
    client.monitor("watched-by-name");
    client.send("watched-by-name", "stop");

    // then
    assertThat(nextEvent(Event.Kind.EXIT, named).result().value()).isEqualTo("done");
  }
}
