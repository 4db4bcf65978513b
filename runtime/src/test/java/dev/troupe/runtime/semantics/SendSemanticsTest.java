package dev.troupe.runtime.semantics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.runtime.testing.Driver.Agent;
import dev.troupe.runtime.testing.Driver;
import dev.troupe.runtime.testing.Setup;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** process.send: per-sender order, no loss right after spawn, and how sends fail (reference §2). */
@ParameterizedClass(name = "{0}")
@EnumSource(Setup.class)
class SendSemanticsTest extends ClusterSemantics {
  private static final int N = 1000;

  SendSemanticsTest(Setup setup) {
    super(setup);
  }

  private static List<Long> oneTo(long n) {
    return LongStream.rangeClosed(1, n).boxed().toList();
  }

  /** Spawns a monitored test:collect for {@code count} messages; returns its PID once it is ready. */
  private String collector(String host, int count, String name) throws InterruptedException {
    String pid = client.spawnMonitored("test:collect", host, client.pid(), count, name);
    Message ready = driver.nextInbox();
    assertThat(ready.topic()).isEqualTo("ready");
    assertThat(ready.from()).isEqualTo(pid);
    return pid;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> collected(String collector) throws InterruptedException {
    Event exit = nextEvent(Event.Kind.EXIT, collector);
    assertThat(exit.result().error()).isNull();
    return (Map<String, Object>) exit.result().value();
  }

  @Test
  void shouldDeliverAThousandMessagesFromOneSenderInOrder() throws Exception {
    // given
    String collector = collector(far, N, "");

    // when
    for (long i = 1; i <= N; i++) {
      client.send(collector, "seq", i);
    }

    // then
    Map<String, Object> got = collected(collector);
    assertThat(got.get("values")).isEqualTo(oneTo(N));
    assertThat(got.get("senders")).isEqualTo(List.of(client.pid()));
  }

  @Test
  void shouldKeepOrderWhenSendingToARegisteredNameAndToThePidMixed() throws Exception {
    // given
    String collector = collector(far, N, "ordered-sink");

    // when: odd numbers by name, even ones by PID
    for (long i = 1; i <= N; i++) {
      client.send(i % 2 == 1 ? "ordered-sink" : collector, "seq", i);
    }

    // then
    assertThat(collected(collector).get("values")).isEqualTo(oneTo(N));
  }

  @Test
  void shouldKeepOrderOfFireAndForgetPostsMixedWithSends() throws Exception {
    // given
    String collector = collector(far, N, "posted-sink");

    // when: three of four are posted without waiting (some by name), every fourth is a send
    for (long i = 1; i <= N; i++) {
      String to = i % 3 == 0 ? "posted-sink" : collector;
      if (i % 4 == 0) {
        client.send(to, "seq", i);
      } else {
        client.post(to, "seq", i);
      }
    }

    // then
    assertThat(collected(collector).get("values")).isEqualTo(oneTo(N));
  }

  @Test
  void shouldKeepOrderFromOneProcessToAnotherMixingNameAndPid() throws Exception {
    // given: a sender on the client's node, a collector on the far host
    Agent sender = driver.spawnAgent(near, false, false);
    String collector = collector(far, N, "p2p-sink");

    // when
    sender.ok("sendSeq", "targets", List.of(collector, "p2p-sink", collector), "topic", "seq",
        "count", N);

    // then
    Map<String, Object> got = collected(collector);
    assertThat(got.get("values")).isEqualTo(oneTo(N));
    assertThat(got.get("senders")).isEqualTo(List.of(sender.pid()));
  }

  @Test
  void shouldKeepOrderThroughAListener() throws Exception {
    // given: a listener (buffer 1) on the client, a sender on the far host
    var seq = client.listen("seq");
    Agent sender = driver.spawnAgent(far, false, false);

    // when
    sender.start("sendSeq", "targets", List.of(client.pid()), "topic", "seq", "count", N);

    // then
    List<Object> got = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      got.add(Driver.receive(seq, "value " + i));
    }
    assertThat(got).isEqualTo(oneTo(N));
    assertThat(sender.reply()).containsEntry("ok", true);
  }

  @Test
  @SuppressWarnings("unchecked")
  void shouldKeepEachSendersOrderWhenTwoSendersInterleave() throws Exception {
    // given: one sender next to the collector, one on the other side
    Agent a = driver.spawnAgent(near, false, false);
    Agent b = driver.spawnAgent(far, false, false);
    String collector = collector(far, 2 * 500, "");

    // when: both send at once
    a.start("sendSeq", "targets", List.of(collector), "topic", "seq", "count", 500, "base", 0);
    b.start("sendSeq", "targets", List.of(collector), "topic", "seq", "count", 500, "base", 10_000);

    // then: every sender's messages arrive in its order, interleaved in any way
    List<Long> values = (List<Long>) collected(collector).get("values");
    assertThat(values.stream().filter(v -> v < 10_000).toList()).isEqualTo(oneTo(500));
    assertThat(values.stream().filter(v -> v > 10_000).map(v -> v - 10_000).toList())
        .isEqualTo(oneTo(500));
    assertThat(a.reply()).containsEntry("ok", true);
    assertThat(b.reply()).containsEntry("ok", true);
  }

  @Test
  void shouldNotLoseASendRightAfterSpawnWhenTheChildReadsLater() throws Exception {
    // given: a child that reads its inbox only 300 ms after it starts
    String child = client.spawnMonitored("test:late_reader", far, 300);

    // when: sent at once
    client.send(child, "hello", "first!");

    // then
    Event exit = nextEvent(Event.Kind.EXIT, child);
    assertThat(exit.result().value()).isEqualTo(Map.of("topic", "hello", "payload", "first!"));
  }

  @Test
  void shouldNotLoseSendsRightAfterSpawnUnderRaces() throws Exception {
    // given: children that read at once, racing the message
    List<String> children = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String child = client.spawnMonitored("test:late_reader", far, 0);
      client.send(child, "n", (long) i);
      children.add(child);
    }

    // then: every child got its message
    for (int i = 0; i < 20; i++) {
      Event exit = driver.nextEvent();
      assertThat(exit.kind()).isEqualTo(Event.Kind.EXIT);
      int index = children.indexOf(exit.from());
      assertThat(index).isNotNegative();
      assertThat(exit.result().value()).isEqualTo(Map.of("topic", "n", "payload", (long) index));
    }
  }

  @Test
  void shouldHoldAMessageForATopicUntilTheChildListensOnIt() throws Exception {
    // given: a child that listens on "late" only after 200 ms
    String child = client.spawnMonitored("test:late_listener", far, 200, "late");

    // when
    client.send(child, "late", "kept");

    // then
    assertThat(nextEvent(Event.Kind.EXIT, child).result().value()).isEqualTo("kept");
  }

  @Test
  void shouldNotLoseASendRightAfterSpawnFromAProcess() throws Exception {
    // given
    Agent parent = driver.spawnAgent(near, true, false);

    // when: the agent spawns on the far host and sends before the child can run
    String child = (String) parent.ok("spawnSend", "entry", "test:late_reader", "host", far,
        "args", List.of(100), "topic", "t", "payload", "from-parent");

    // then: the child's EXIT, seen by its parent, carries the message
    Map<String, Object> exit = parent.nextEvent();
    assertThat(exit).containsEntry("kind", "EXIT").containsEntry("from", child);
    assertThat(exit.get("value")).isEqualTo(Map.of("topic", "t", "payload", "from-parent"));
  }

  @Test
  void shouldFailNotFoundWhenSpawningAnUnknownEntryOrOnAnUnknownHost() {
    var e = failsWith(ErrorCode.NOT_FOUND, () -> client.spawn("test:no-such-entry", far));
    assertThat(e.getMessage()).contains("unknown entry 'test:no-such-entry'");
    failsWith(ErrorCode.NOT_FOUND, () -> client.spawnMonitored("test:return", "app:nowhere"));
  }

  @Test
  void shouldFailNotFoundWhenSendingToAnUnknownName() {
    var e = failsWith(ErrorCode.NOT_FOUND, () -> client.send("nobody-has-this", "t", 1));
    assertThat(e.getMessage()).isEqualTo("could not resolve 'nobody-has-this' as PID or registered name");
  }

  @Test
  void shouldFailNotFoundWhenAProcessSendsToAnUnknownName() throws Exception {
    Agent agent = driver.spawnAgent(far, false, false);

    Map<String, Object> r = agent.fails("send", "to", "nobody-has-this", "topic", "t");

    assertThat(r).containsEntry("code", "NOT_FOUND")
        .containsEntry("message", "could not resolve 'nobody-has-this' as PID or registered name");
  }

  @Test
  void shouldFailNotFoundWhenSendingToADeadPidOnTheSendersNode() throws Exception {
    // given: a process on the client's node that has exited
    String dead = client.spawnMonitored("test:return", near, "bye");
    nextEvent(Event.Kind.EXIT, dead);

    // when / then
    var e = failsWith(ErrorCode.NOT_FOUND, () -> client.send(dead, "t", 1));
    assertThat(e.getMessage()).contains("not found").contains(dead);
  }

  @Test
  void shouldFailNotFoundWhenAProcessSendsToADeadPidOnItsNode() throws Exception {
    // given: an agent and a dead process, both on the far host
    Agent agent = driver.spawnAgent(far, false, false);
    String dead = client.spawnMonitored("test:return", far, "bye");
    nextEvent(Event.Kind.EXIT, dead);

    // when
    Map<String, Object> r = agent.fails("send", "to", dead, "topic", "t");

    // then
    assertThat(r).containsEntry("code", "NOT_FOUND");
    assertThat((String) r.get("message")).contains("not found");
  }

  @Test
  void shouldAcceptASendToADeadPidOnAnotherNodeAsQueuedAndDropIt() throws Exception {
    // The wire contract (attach_service.proto Send): success means queued for the target's node; a
    // remote node is not asked per message (the original's internode send behaves alike).
    assumeTrue(setup.twoNodes(), "only a remote PID is queued");
    String dead = client.spawnMonitored("test:return", far, "bye");
    nextEvent(Event.Kind.EXIT, dead);

    client.send(dead, "t", 1);

    // nothing comes of it, and the link to that node keeps working
    String echo = client.spawn("test:echo", far);
    client.send(echo, "t", "after");
    assertThat(driver.nextInbox().payload()).isEqualTo("after");
    client.send(echo, "stop");
  }

  @Test
  void shouldFailNotFoundForAPidOfAHostNoNodeServes() {
    var e = failsWith(ErrorCode.NOT_FOUND, () -> client.send("{app:nowhere|0x00001}", "t", 1));
    assertThat(e.getMessage()).contains("host not found");
  }

  @Test
  void shouldDeliverToItself() throws Exception {
    client.send(client.pid(), "self", "me");

    Message m = driver.nextInbox();
    assertThat(m.from()).isEqualTo(client.pid());
    assertThat(m.topic()).isEqualTo("self");
    assertThat(m.payload()).isEqualTo("me");
  }
}
