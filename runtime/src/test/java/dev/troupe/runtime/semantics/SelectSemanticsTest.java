package dev.troupe.runtime.semantics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.runtime.testing.Setup;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Channels inside processes: select over inbox() and events() as the Echo relay does, time.after,
 * and coroutines (reference §7; the channel mechanics themselves are covered in api/channel).
 */
@ParameterizedClass(name = "{0}")
@EnumSource(Setup.class)
class SelectSemanticsTest extends ClusterSemantics {

  SelectSemanticsTest(Setup setup) {
    super(setup);
  }

  @Test
  @SuppressWarnings("unchecked")
  void shouldSelectOverInboxAndEventsLikeTheEchoRelay() throws Exception {
    // given: a relay on the client's node whose workers run on the far host
    String relay = client.spawnMonitored("test:relay", near, client.pid(), far);

    // when
    for (String word : new String[] {"one", "two", "three"}) {
      client.send(relay, "work", word);
    }

    // then: three results (from the inbox case) and three EXITs (from the events case)
    Set<String> results = new HashSet<>();
    Set<String> workers = new HashSet<>();
    Set<String> exited = new HashSet<>();
    while (results.size() < 3 || exited.size() < 3) {
      Message m = driver.nextInbox();
      assertThat(m.from()).isEqualTo(relay);
      Map<String, Object> p = (Map<String, Object>) m.payload();
      switch (m.topic()) {
        case "result" -> {
          results.add((String) p.get("data"));
          workers.add((String) p.get("worker"));
        }
        case "exit" -> {
          assertThat(p).containsEntry("kind", "EXIT").containsEntry("value", 0L);
          exited.add((String) p.get("from"));
        }
        default -> throw new AssertionError("unexpected " + m);
      }
    }
    assertThat(results).containsExactlyInAnyOrder("ONE", "TWO", "THREE");
    assertThat(exited).isEqualTo(workers);
    client.send(relay, "stop");
    assertThat(nextEvent(Event.Kind.EXIT, relay).result().value()).isEqualTo(3L);
  }

  @Test
  @SuppressWarnings("unchecked")
  void shouldFireAfterOnceWhenNothingArrives() throws Exception {
    String child = client.spawnMonitored("test:timeout", far, client.pid(), 100);

    Map<String, Object> r = (Map<String, Object>) nextEvent(Event.Kind.EXIT, child).result().value();

    assertThat(r).isEqualTo(Map.of("firstWasTimer", true, "firstOk", true, "againOk", false));
  }

  @Test
  @SuppressWarnings("unchecked")
  void shouldPreferTheInboxWhenAMessageArrivesBeforeTheTimer() throws Exception {
    // given: a child whose timer is far off
    String child = client.spawnMonitored("test:timeout", far, client.pid(), 1_000);

    // when
    client.send(child, "wake", 1);

    // then: the inbox case won; the timer then fires once and reads closed
    Map<String, Object> r = new HashMap<>(
        (Map<String, Object>) nextEvent(Event.Kind.EXIT, child).result().value());
    assertThat(r).isEqualTo(Map.of("firstWasTimer", false, "firstOk", true, "againOk", true));
  }

  @Test
  void shouldFailTheWholeProcessWhenACoroutineFails() throws Exception {
    String child = client.spawnMonitored("test:coroutine_fail", far);

    Event exit = nextEvent(Event.Kind.EXIT, child);

    assertThat(exit.result().error()).isEqualTo("coroutine broke");
  }

  @Test
  void shouldStopCoroutinesWhenMainReturns() throws Exception {
    // given: a child whose coroutine runs forever
    String child = client.spawnMonitored("test:coroutine_outlived", far, client.pid());
    Message fromCoroutine = driver.nextInbox();
    assertThat(fromCoroutine.topic()).isEqualTo("from_coroutine");

    // when
    client.send(child, "go", "main returned");

    // then: the process ends normally all the same
    assertThat(nextEvent(Event.Kind.EXIT, child).result().value()).isEqualTo("main returned");
    failsWith(ErrorCode.NOT_FOUND, () -> client.monitor(child));
  }
}
