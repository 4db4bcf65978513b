package dev.troupe.runtime.semantics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.Select;
import dev.troupe.runtime.testing.Driver.Agent;
import dev.troupe.runtime.testing.Driver;
import dev.troupe.runtime.testing.Setup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** listen vs inbox routing, message and raw modes, reserved topics (reference §2, §3). */
@ParameterizedClass(name = "{0}")
@EnumSource(Setup.class)
class RoutingSemanticsTest extends ClusterSemantics {

  RoutingSemanticsTest(Setup setup) {
    super(setup);
  }

  private String readyChild(String entry) throws InterruptedException {
    String child = client.spawnMonitored(entry, far, client.pid());
    Message ready = driver.nextInbox();
    assertThat(ready.topic()).isEqualTo("ready");
    assertThat(ready.from()).isEqualTo(child);
    return child;
  }

  @Test
  void shouldGiveAListenersTopicToTheListenerAndEverythingElseToTheInbox() throws Exception {
    // given: a child listening on "A" (the original's inbox_fallback)
    String child = readyChild("test:fallback");

    // when
    client.send(child, "A", 1L);
    client.send(child, "B", 2L);
    client.send(child, "A", 3L);

    // then: 2 to the listener, 1 to the inbox
    Event exit = nextEvent(Event.Kind.EXIT, child);
    assertThat(exit.result().value()).isEqualTo(Map.of(
        "listener", List.of(1L, 3L), "inboxTopic", "B", "inboxPayload", 2L));
  }

  @Test
  void shouldLetATopicFallThroughToTheInboxAfterUnlisten() throws Exception {
    // given: a child that takes one "A" from its listener, then unlistens
    String child = readyChild("test:unlisten");
    client.send(child, "A", "to-listener");
    assertThat(driver.nextInbox().topic()).isEqualTo("unlistened");

    // when
    client.send(child, "A", "to-inbox");

    // then
    Event exit = nextEvent(Event.Kind.EXIT, child);
    assertThat(exit.result().value()).isEqualTo(Map.of(
        "first", "to-listener",
        "removed", true,
        "closedAfterUnlisten", true,
        "inboxTopic", "A",
        "inboxPayload", "to-inbox",
        "secondUnlisten", false));
  }

  @Test
  void shouldRejectListeningOnAnEmptyOrReservedTopic() {
    assertThat(failsWith(ErrorCode.INVALID_ARGUMENT, () -> client.listen("")).getMessage())
        .isEqualTo("topic cannot be empty");
    assertThat(failsWith(ErrorCode.INVALID_ARGUMENT, () -> client.listen("@x")).getMessage())
        .isEqualTo("cannot listen to @ topics");
    failsWith(ErrorCode.INVALID_ARGUMENT, () -> client.listenMessages("@pid/inbox"));
  }

  @Test
  void shouldRejectSendingOnAnEmptyOrReservedTopic() throws Exception {
    // given
    String target = client.spawn("test:echo", far);

    // when / then: from the client
    failsWith(ErrorCode.INVALID_ARGUMENT, () -> client.send(target, "", 1));
    assertThat(failsWith(ErrorCode.INVALID_ARGUMENT, () -> client.send(target, "@x", 1)).getMessage())
        .contains("cannot send to @ topics");
    failsWith(ErrorCode.INVALID_ARGUMENT, () -> client.send(target, "@pid/inbox", 1));

    // and from a process on the far host
    Agent agent = driver.spawnAgent(far, false, false);
    assertThat(agent.fails("send", "to", target, "topic", "@x")).containsEntry("code", "INVALID_ARGUMENT");
    assertThat(agent.fails("send", "to", target, "topic", "")).containsEntry("code", "INVALID_ARGUMENT");
    client.send(target, "stop");
  }

  @Test
  void shouldExposeSenderTopicAndPayloadsInMessageMode() throws Exception {
    // given
    Channel<Message> msgs = client.listenMessages("msg");
    client.listen("raw"); // the child's raw sends are read elsewhere

    // when
    String child = client.spawn("test:shapes", far, client.pid());

    // then
    Message m = Driver.receive(msgs, "a message on 'msg'");
    assertThat(m.from()).isEqualTo(child);
    assertThat(m.topic()).isEqualTo("msg");
    assertThat(m.payloads()).containsExactly("x", Map.of("k", List.of(1L, 2L)));
    assertThat(m.payload()).isEqualTo(m.payloads());
  }

  @Test
  void shouldGiveNullTheValueOrAListInRawMode() throws Exception {
    // given
    Channel<Object> raw = client.listen("raw");
    client.listenMessages("msg");

    // when: the child sends no payload, one, two, and a single null
    client.spawn("test:shapes", far, client.pid());

    // then
    List<Object> got = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      got.add(Driver.receive(raw, "raw value " + i));
    }
    assertThat(got).containsExactly(null, "one", List.of("a", 2L), null);
  }

  @Test
  void shouldRefillAListenerForPollingReaders() throws Exception {
    // given: three values queued for a listener (buffer 1)
    Channel<Object> t = client.listen("poll");
    for (long i = 1; i <= 3; i++) {
      client.send(client.pid(), "poll", i);
    }

    // when: a reader that only polls (select with default, as a busy loop would)
    List<Object> got = new ArrayList<>();
    await().atMost(Driver.WAIT).until(() -> {
      var r = Select.selectOrDefault(t.receiveCase());
      if (!r.isDefault()) {
        got.add(r.value());
      }
      return got.size() == 3;
    });

    // then
    assertThat(got).containsExactly(1L, 2L, 3L);
  }

  @Test
  void shouldNeitherLoseNorDuplicateMessagesQueuedForAListenerThatIsRemoved() throws Exception {
    // given: 50 values for a listener (buffer 1), of which the reader takes 10
    Channel<Object> t = client.listen("u");
    Agent sender = driver.spawnAgent(far, false, false);
    sender.ok("sendSeq", "targets", List.of(client.pid()), "topic", "u", "count", 50);
    List<Object> got = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      got.add(Driver.receive(t, "value " + i));
    }

    // when
    assertThat(client.unlisten("u")).isTrue();

    // then: what the closed listener still buffers, then the rest through the inbox, in order
    for (var r = t.receive(Driver.WAIT); r.isPresent() && r.get().ok(); r = t.receive(Driver.WAIT)) {
      got.add(r.get().value());
    }
    while (got.size() < 50) {
      Message m = driver.nextInbox();
      assertThat(m.topic()).isEqualTo("u");
      got.add(m.payload());
    }
    assertThat(got).isEqualTo(LongStream.rangeClosed(1, 50).boxed().toList());
    assertThat(client.inbox().receive(Duration.ofMillis(200))).isEmpty();
  }

  @Test
  void shouldSwitchAListenerToMessageModeForGood() throws Exception {
    // given
    Channel<Object> raw = client.listen("t");

    // when
    Channel<Message> msgs = client.listenMessages("t");
    client.send(client.pid(), "t", "v");

    // then: the same channel, now carrying messages
    assertThat((Object) msgs).isSameAs(raw);
    Message m = Driver.receive(msgs, "a message on 't'");
    assertThat(m.from()).isEqualTo(client.pid());
    assertThat(m.payload()).isEqualTo("v");
  }

  @Test
  void shouldReturnTheSameChannelForRepeatedInboxEventsAndListen() {
    assertThat(client.inbox()).isSameAs(client.inbox());
    assertThat(client.events()).isSameAs(client.events());
    assertThat(client.listen("same")).isSameAs(client.listen("same"));
  }

  @Test
  void shouldCarryPayloadValuesIntactBetweenProcesses() throws Exception {
    // given
    String echo = client.spawn("test:echo", far);
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("text", "héllo");
    value.put("long", 9_007_199_254_740_992L);
    value.put("negative", -42L);
    value.put("double", 2.5);
    value.put("bool", true);
    value.put("null", null);
    value.put("list", Arrays.asList(1L, null, "three", List.of()));
    value.put("nested", Map.of("a", Map.of("b", List.of(Map.of("c", false)))));

    // when
    client.send(echo, "t", value);
    client.send(echo, "t", (Object) new byte[] {0, 1, (byte) 0xff});

    // then
    Message first = driver.nextInbox();
    assertThat(first.from()).isEqualTo(echo);
    assertThat(first.topic()).isEqualTo("echo_reply");
    assertThat(first.payload()).isEqualTo(value);
    assertThat(driver.nextInbox().payload()).isEqualTo(new byte[] {0, 1, (byte) 0xff});
    client.send(echo, "stop");
  }
}
