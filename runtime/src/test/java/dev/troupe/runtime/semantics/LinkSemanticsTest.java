package dev.troupe.runtime.semantics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.TroupeException;
import dev.troupe.runtime.testing.Driver.Agent;
import dev.troupe.runtime.testing.Driver;
import dev.troupe.runtime.testing.Setup;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Links, trap_links, terminate and cancel (reference §4, §8). */
@ParameterizedClass(name = "{0}")
@EnumSource(Setup.class)
class LinkSemanticsTest extends ClusterSemantics {

  LinkSemanticsTest(Setup setup) {
    super(setup);
  }

  @Test
  void shouldSendNoLinkDownWhenALinkedProcessExitsNormally() throws Exception {
    // given: the client traps links, so a LINK_DOWN would show up as an event
    client.setTrapLinks(true);
    String child = client.spawnLinkedMonitored("test:await", far);

    // when
    client.send(child, "done", "normal");

    // then: the EXIT, and nothing after it
    assertThat(nextEvent(Event.Kind.EXIT, child).result().value()).isEqualTo("normal");
    driver.expectNoOtherEventFrom(far);
  }

  @Test
  void shouldKeepAnUntrappedSurvivorRunningWhenItsLinkExitsNormally() throws Exception {
    // given: an untrapped agent linked to (and monitoring) a process on the far host
    Agent survivor = driver.spawnAgent(near, true, true);
    String partner = client.spawn("test:await", far);
    survivor.ok("link", "target", partner);
    survivor.ok("monitor", "target", partner);

    // when: the partner exits normally
    client.send(partner, "done", "ok");

    // then: the survivor hears the EXIT and keeps running
    assertThat(survivor.nextEvent()).containsEntry("kind", "EXIT").containsEntry("from", partner);
    assertThat(survivor.ok("ping")).isEqualTo("pong");
    survivor.exit("still here");
    assertThat(nextEvent(Event.Kind.EXIT, survivor.pid()).result().value()).isEqualTo("still here");
  }

  @Test
  void shouldKillAnUntrappedLinkedProcessAndCascade() throws Exception {
    // given: a chain failing <- a <- b, a and b untrapped, the client monitoring both
    Agent a = driver.spawnAgent(near, false, true);
    Agent b = driver.spawnAgent(far, false, true);
    String failing = client.spawn("test:await", far);
    a.ok("link", "target", failing);
    b.ok("link", "target", a.pid());

    // when
    client.send(failing, "fail", "root cause");

    // then: a dies of it, and so does b (in either order)
    Map<String, Event> exits = new HashMap<>();
    for (int i = 0; i < 2; i++) {
      Event e = driver.nextEvent();
      assertThat(e.kind()).isEqualTo(Event.Kind.EXIT);
      exits.put(e.from(), e);
    }
    assertThat(exits).containsOnlyKeys(a.pid(), b.pid());
    for (Event e : exits.values()) {
      assertThat(e.result().error()).isEqualTo("linked process failed");
      assertThat(e.result().errorKind()).isEqualTo("LINKED_PROCESS_FAILED");
    }
    failsWith(ErrorCode.NOT_FOUND, () -> client.send(a.pid(), "ping")); // a is on the client's node
  }

  @Test
  void shouldKillAnUntrappedChildWhenItsSpawningParentFails() throws Exception {
    // given: an agent near that spawned a linked child on the far host; the client watches the child
    Agent parent = driver.spawnAgent(near, false, false);
    String child = (String) parent.ok("spawn", "entry", "test:block", "host", far, "link", true);
    client.monitor(child);

    // when
    parent.fail("parent failed");

    // then
    Event exit = nextEvent(Event.Kind.EXIT, child);
    assertThat(exit.result().error()).isEqualTo("linked process failed");
  }

  @Test
  void shouldKillAnUntrappedClientWhenItsLinkedChildFails() {
    // when
    client.spawnLinked("test:fail", far, "child failed");

    // then: the node ends the client's process, and its calls fail from then on
    await().atMost(Driver.WAIT)
        .until(client::hasEnded);
    assertThat(client.failure()).isEqualTo("linked process failed");
    failsWith(ErrorCode.FAILED_PRECONDITION, () -> client.send(client.pid(), "t"));
  }

  @Test
  void shouldDeliverLinkDownAsAnEventWhenTrappingAndSurvive() throws Exception {
    // given
    Agent trapper = driver.spawnAgent(near, true, true);
    assertThat(trapper.ok("trap", "value", true)).isEqualTo(true);
    String failing = client.spawn("test:await", far);
    trapper.ok("link", "target", failing);

    // when
    client.send(failing, "fail", "boom");

    // then
    Map<String, Object> down = trapper.nextEvent();
    assertThat(down).containsEntry("kind", "LINK_DOWN").containsEntry("from", failing)
        .containsEntry("error", "boom").containsEntry("errorKind", "FAILED");
    assertThat(trapper.ok("ping")).isEqualTo("pong");
  }

  @Test
  void shouldDieOfLinkDownAgainAfterTrappingIsTurnedOff() throws Exception {
    // given
    Agent agent = driver.spawnAgent(near, true, true);
    agent.ok("trap", "value", true);
    assertThat(agent.ok("trap", "value", false)).isEqualTo(false);
    String failing = client.spawn("test:await", far);
    agent.ok("link", "target", failing);

    // when
    client.send(failing, "fail", "late");

    // then
    assertThat(nextEvent(Event.Kind.EXIT, agent.pid()).result().error()).isEqualTo("linked process failed");
  }

  @Test
  void shouldDeliverLinkDownToATrappingClient() throws Exception {
    // given
    client.setTrapLinks(true);
    assertThat(client.trapLinks()).isTrue();

    // when: a linked child that fails at once
    String child = client.spawnLinked("test:fail", far, "instant failure");

    // then
    Event down = nextEvent(Event.Kind.LINK_DOWN, child);
    assertThat(down.result().error()).isEqualTo("instant failure");
  }

  @Test
  void shouldSendLinkDownBothWays() throws Exception {
    // given: a trapping process on the far host linked to an agent near
    Agent trapper = driver.spawnAgent(far, true, true);
    trapper.ok("trap", "value", true);
    Agent other = driver.spawnAgent(near, false, true);
    other.ok("link", "target", trapper.pid());

    // when: the one that called link fails
    other.fail("near side failed");

    // then
    assertThat(nextEvent(Event.Kind.EXIT, other.pid()).result().error()).isEqualTo("near side failed");
    assertThat(trapper.nextEvent()).containsEntry("kind", "LINK_DOWN").containsEntry("from", other.pid())
        .containsEntry("error", "near side failed");
  }

  @Test
  void shouldSendNoLinkDownAfterUnlink() throws Exception {
    // given
    client.setTrapLinks(true);
    String child = client.spawnLinkedMonitored("test:await", far);

    // when
    client.unlink(child);
    client.unlink(child); // a no-op
    client.send(child, "fail", "unlinked");

    // then: only the EXIT
    assertThat(nextEvent(Event.Kind.EXIT, child).result().error()).isEqualTo("unlinked");
    driver.expectNoOtherEventFrom(far);
  }

  @Test
  void shouldEitherFailOrDeliverLinkDownWhenLinkingToAProcessThatIsFailing() throws Exception {
    // given: a trapping client and processes that fail as soon as they start
    client.setTrapLinks(true);
    Set<String> linked = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      String target = client.spawn("test:fail", far, "f" + i);
      // when: linking races the failure
      try {
        client.link(target);
        linked.add(target);
      } catch (TroupeException e) {
        assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
      }
    }

    // then: every link that was accepted delivers its LINK_DOWN, and no other event arrives
    Set<String> down = new HashSet<>();
    for (int i = 0; i < linked.size(); i++) {
      Event e = driver.nextEvent();
      assertThat(e.kind()).isEqualTo(Event.Kind.LINK_DOWN);
      down.add(e.from());
    }
    assertThat(down).isEqualTo(linked);
    driver.expectNoOtherEventFrom(far);
  }

  @Test
  void shouldFailNotFoundWhenLinkingToADeadPid() throws Exception {
    String dead = client.spawnMonitored("test:return", far, 1);
    nextEvent(Event.Kind.EXIT, dead);

    failsWith(ErrorCode.NOT_FOUND, () -> client.link(dead));
  }

  @Test
  void shouldTerminateWithAnErrorExitThatSendsLinkDown() throws Exception {
    // given: a blocked target, monitored by the client, linked to a trapping agent
    String target = client.spawnMonitored("test:block", far);
    Agent trapper = driver.spawnAgent(near, true, true);
    trapper.ok("trap", "value", true);
    trapper.ok("link", "target", target);

    // when
    client.terminate(target);

    // then
    Event exit = nextEvent(Event.Kind.EXIT, target);
    assertThat(exit.result().error()).isEqualTo("process terminated");
    assertThat(exit.result().errorKind()).isEqualTo("TERMINATED");
    assertThat(trapper.nextEvent()).containsEntry("kind", "LINK_DOWN").containsEntry("from", target)
        .containsEntry("error", "process terminated");
    failsWith(ErrorCode.NOT_FOUND, () -> client.monitor(target)); // gone for good
  }

  @Test
  void shouldTerminateAProcessBusyWithoutReadingAnything() throws Exception {
    String sleeper = client.spawnMonitored("test:sleep", far, 60_000);

    client.terminate(sleeper);

    assertThat(nextEvent(Event.Kind.EXIT, sleeper).result().error()).isEqualTo("process terminated");
  }

  @Test
  void shouldTerminateByRegisteredNameFromAProcess() throws Exception {
    String named = client.spawnMonitored("test:named", far, "to-terminate");
    await().atMost(Driver.WAIT)
        .until(() -> client.registry().lookup("to-terminate").isPresent());
    Agent killer = driver.spawnAgent(near, false, false);

    killer.ok("terminate", "target", "to-terminate");

    assertThat(nextEvent(Event.Kind.EXIT, named).result().error()).isEqualTo("process terminated");
  }

  @Test
  void shouldDeliverCancelWithoutStoppingTheTarget() throws Exception {
    // given
    Agent target = driver.spawnAgent(far, true, true);

    // when
    client.cancel(target.pid(), "please stop");

    // then: the event arrives, and the target runs on
    assertThat(target.nextEvent()).containsEntry("kind", "CANCEL").containsEntry("from", client.pid())
        .containsEntry("reason", "please stop");
    assertThat(target.ok("ping")).isEqualTo("pong");
  }

  @Test
  void shouldLetACancelledProcessReturnNormallyWithoutLinkDown() throws Exception {
    // given: a blocked child the client is linked to (trapping) and monitors
    client.setTrapLinks(true);
    String child = client.spawnLinkedMonitored("test:block", far);

    // when
    client.cancel(child, "shutdown");

    // then: it returns normally, so no LINK_DOWN
    assertThat(nextEvent(Event.Kind.EXIT, child).result().value()).isEqualTo("cancelled");
    driver.expectNoOtherEventFrom(far);
  }

  @Test
  void shouldFailNotFoundWhenTerminatingOrCancellingADeadPid() throws Exception {
    // given
    String dead = client.spawnMonitored("test:return", far, 1);
    nextEvent(Event.Kind.EXIT, dead);
    Agent agent = driver.spawnAgent(near, false, false);

    // when / then
    failsWith(ErrorCode.NOT_FOUND, () -> client.terminate(dead));
    failsWith(ErrorCode.NOT_FOUND, () -> client.cancel(dead, "late"));
    assertThat(agent.fails("terminate", "target", dead)).containsEntry("code", "NOT_FOUND");
    assertThat(agent.fails("cancel", "target", dead, "reason", "late")).containsEntry("code", "NOT_FOUND");
    failsWith(ErrorCode.NOT_FOUND, () -> client.terminate("no-such-name"));
  }
}
