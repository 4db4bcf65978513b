package dev.troupe.runtime.semantics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.runtime.testing.Driver.Agent;
import dev.troupe.runtime.testing.Driver;
import dev.troupe.runtime.testing.Setup;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** process.registry: register, lookup, unregister, auto-release before EXIT (reference §5). */
@ParameterizedClass(name = "{0}")
@EnumSource(Setup.class)
class RegistrySemanticsTest extends ClusterSemantics {

  RegistrySemanticsTest(Setup setup) {
    super(setup);
  }

  @Test
  void shouldRegisterLookUpAndUnregisterAName() {
    // when
    client.registry().register("svc");

    // then
    assertThat(client.registry().lookup("svc")).contains(client.pid());
    assertThat(client.registry().unregister("svc")).isTrue();
    assertThat(client.registry().lookup("svc")).isEmpty();
    assertThat(client.registry().unregister("svc")).isFalse();
  }

  @Test
  void shouldRegisterIdempotentlyForTheSamePid() {
    client.registry().register("twice");
    client.registry().register("twice");

    assertThat(client.registry().lookup("twice")).contains(client.pid());
  }

  @Test
  void shouldSeeANameRegisteredOnTheFarHost() throws Exception {
    Agent owner = driver.spawnAgent(far, false, false);

    owner.ok("register", "name", "far-name");

    assertThat(client.registry().lookup("far-name")).contains(owner.pid());
    client.send("far-name", "ping", Map.of());
    assertThat(owner.reply()).containsEntry("value", "pong");
  }

  @Test
  void shouldFailAlreadyExistsWhenAnotherPidHoldsTheName() throws Exception {
    // given
    Agent owner = driver.spawnAgent(far, false, false);
    owner.ok("register", "name", "taken");

    // when / then
    var e = failsWith(ErrorCode.ALREADY_EXISTS, () -> client.registry().register("taken"));
    assertThat(e.getMessage()).contains("name already registered");
    assertThat(client.registry().lookup("taken")).contains(owner.pid());
  }

  @Test
  void shouldReturnFalseWhenUnregisteringAnUnknownName() throws Exception {
    assertThat(client.registry().unregister("never-registered")).isFalse();
    Agent agent = driver.spawnAgent(far, false, false);
    assertThat(agent.ok("unregister", "name", "never-registered")).isEqualTo(false);
  }

  @Test
  void shouldDenyUnregisteringAnotherProcesssName() throws Exception {
    // given
    Agent owner = driver.spawnAgent(far, false, false);
    owner.ok("register", "name", "mine");

    // when / then
    failsWith(ErrorCode.PERMISSION_DENIED, () -> client.registry().unregister("mine"));
    assertThat(client.registry().lookup("mine")).contains(owner.pid());
  }

  @Test
  void shouldLetOnePidHoldSeveralNamesAndReleaseThemAllOnExit() throws Exception {
    // given
    Agent owner = driver.spawnAgent(far, false, true);
    owner.ok("register", "name", "first");
    owner.ok("register", "name", "second");
    assertThat(client.registry().lookup("first")).contains(owner.pid());
    assertThat(client.registry().lookup("second")).contains(owner.pid());

    // when
    owner.exit("bye");
    nextEvent(Event.Kind.EXIT, owner.pid());

    // then
    assertThat(client.registry().lookup("first")).isEmpty();
    assertThat(client.registry().lookup("second")).isEmpty();
  }

  @Test
  void shouldReleaseNamesBeforeTheExitIsDelivered() throws Exception {
    // given: a monitored process on the far host holding a name
    String named = client.spawnMonitored("test:named", far, "released-early");
    await().atMost(Driver.WAIT).until(() -> client.registry().lookup("released-early").isPresent());

    // when
    client.send("released-early", "stop");
    nextEvent(Event.Kind.EXIT, named);

    // then: the moment EXIT is seen, the name is free and unusable
    assertThat(client.registry().lookup("released-early")).isEmpty();
    var e = failsWith(ErrorCode.NOT_FOUND, () -> client.send("released-early", "t"));
    assertThat(e.getMessage()).isEqualTo("could not resolve 'released-early' as PID or registered name");
  }

  @Test
  void shouldReleaseNamesOfAFailedProcessBeforeItsExitReachesAnotherProcess() throws Exception {
    // given: a trapping watcher on the client's node, a named agent on the far host
    Agent owner = driver.spawnAgent(far, false, true);
    owner.ok("register", "name", "fails-soon");
    Agent watcher = driver.spawnAgent(near, true, false);
    watcher.ok("monitor", "target", "fails-soon");

    // when
    owner.fail("crash");

    // then
    assertThat(watcher.nextEvent()).containsEntry("kind", "EXIT").containsEntry("error", "crash");
    assertThat(watcher.ok("lookup", "name", "fails-soon")).isNull();
    assertThat(watcher.fails("send", "to", "fails-soon", "topic", "t"))
        .containsEntry("code", "NOT_FOUND");
  }

  @Test
  void shouldLetANameBeTakenAgainOnceReleased() throws Exception {
    Agent first = driver.spawnAgent(far, false, true);
    first.ok("register", "name", "reusable");
    first.exit(null);
    nextEvent(Event.Kind.EXIT, first.pid());

    client.registry().register("reusable");

    assertThat(client.registry().lookup("reusable")).contains(client.pid());
  }

  @Test
  void shouldRejectInvalidNames() throws Exception {
    for (String bad : new String[] {"", "x".repeat(256), "é".repeat(128), "tab\tname", "new\nline",
        "nul\u0000", "{looks-like-a-pid}"}) {
      failsWith(ErrorCode.INVALID_ARGUMENT, () -> client.registry().register(bad));
    }
    Agent agent = driver.spawnAgent(far, false, false);
    assertThat(agent.fails("register", "name", "bell\u0007")).containsEntry("code", "INVALID_ARGUMENT");
  }

  @Test
  void shouldAcceptANameOfExactly255Bytes() {
    String name = "n".repeat(255);

    client.registry().register(name);

    assertThat(client.registry().lookup(name)).isEqualTo(Optional.of(client.pid()));
  }
}
