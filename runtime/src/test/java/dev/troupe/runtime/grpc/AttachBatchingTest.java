package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.troupe.api.Event;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachRequestBatch;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.Hello;
import dev.troupe.proto.node.v1.Send;
import dev.troupe.proto.node.v1.Spawn;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.Floods;
import dev.troupe.runtime.testing.RawAttachStream;
import dev.troupe.runtime.testing.TestCluster;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Batches on the attach stream: a client that says it accepts them gets frames packed when they
 * wait for its stream, a client that does not gets one frame per message, and either way every
 * frame arrives, in order. Requests packed by a client are applied in order.
 */
@Timeout(60)
class AttachBatchingTest {
  /** Enough replies to fill any flow-control window many times over, so that frames must wait. */
  private static final int MESSAGES = 4000;
  private static final int PAYLOAD_BYTES = 8 * 1024;
  private static final int SENDS_PER_BATCH = 500;

  private TestCluster cluster;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    cluster = new TestCluster(Entries.catalog());
    cluster.startNode(NodeConfig.defaults("n1").withDefaultClientHost("app:n1-clients"));
    channel = Channels.open(cluster.server("n1").address(), ChannelSettings.defaults());
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    cluster.close();
  }

  private RawAttachStream attachRaw(boolean acceptBatches) throws InterruptedException {
    RawAttachStream c = new RawAttachStream(channel, true);
    assertThat(c.hello(acceptBatches).getAcceptsBatches()).isTrue();
    return c;
  }

  private static Payload numbered(int i) {
    byte[] b = new byte[PAYLOAD_BYTES];
    ByteBuffer.wrap(b).putInt(i);
    return Payload.newBuilder().setRaw(ByteString.copyFrom(b)).build();
  }

  private static int number(Payload p) {
    return p.getRaw().asReadOnlyByteBuffer().getInt();
  }

  /**
   * Spawns an echo, sends it {@link #MESSAGES} pings packed in batches while reading nothing, waits
   * (through a second client's monitor) until the echo has answered them all, then reads everything.
   * Returns every message the node sent after the spawn's reply.
   */
  private List<AttachResponse> echoBurst(RawAttachStream c) throws Exception {
    c.write(AttachRequest.newBuilder().setSpawn(Spawn.newBuilder()
        .setRequestId(1).setEntry("test:echo").setHost("app:n1")).build());
    AttachResponse spawned = c.next();
    assertThat(spawned.getReply().getStatus().getCode()).isZero();
    String echo = spawned.getReply().getPid();
    AttachedProcess watcher = cluster.attachRemote("n1");
    watcher.monitor(echo);

    for (int from = 0; from < MESSAGES; from += SENDS_PER_BATCH) {
      AttachRequestBatch.Builder batch = AttachRequestBatch.newBuilder();
      for (int i = from; i < from + SENDS_PER_BATCH; i++) {
        batch.addFrames(AttachRequest.newBuilder().setSend(Send.newBuilder()
            .setTo(echo).setTopic("ping").addPayloads(numbered(i))));
      }
      c.write(AttachRequest.newBuilder().setBatch(batch).build());
    }
    c.write(AttachRequest.newBuilder().setSend(Send.newBuilder().setTo(echo).setTopic("stop")).build());
    Event exit = watcher.events().receive(Duration.ofSeconds(30)).orElseThrow().value();
    assertThat(exit.kind()).isEqualTo(Event.Kind.EXIT);
    assertThat(exit.result().value()).isEqualTo("stopped"); // it answered every ping without a failure

    List<AttachResponse> got = new ArrayList<>();
    int deliveries = 0;
    while (deliveries < MESSAGES) {
      AttachResponse m = c.next();
      got.add(m);
      deliveries += m.hasBatch() ? m.getBatch().getFramesCount() : 1;
    }
    return got;
  }

  private static List<Integer> numbersIn(List<AttachResponse> messages) {
    List<Integer> numbers = new ArrayList<>();
    for (AttachResponse m : messages) {
      for (AttachResponse f : m.hasBatch() ? m.getBatch().getFramesList() : List.of(m)) {
        assertThat(f.hasDelivery()).as("only echo replies follow the spawn's reply: %s", f).isTrue();
        assertThat(f.getDelivery().getTopic()).isEqualTo("echo_reply");
        numbers.add(number(f.getDelivery().getPayloads(0)));
      }
    }
    return numbers;
  }

  private static List<Integer> zeroTo(int n) {
    List<Integer> l = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      l.add(i);
    }
    return l;
  }

  @Test
  void aClientThatAcceptsBatchesGetsWaitingFramesPackedAndAllInOrder() throws Exception {
    RawAttachStream c = attachRaw(true);

    List<AttachResponse> got = echoBurst(c);

    assertThat(numbersIn(got)).isEqualTo(zeroTo(MESSAGES));
    List<AttachResponse> batches = got.stream().filter(AttachResponse::hasBatch).toList();
    assertThat(batches).as("frames that waited for the stream were packed").isNotEmpty();
    for (AttachResponse b : batches) {
      assertThat(b.getBatch().getFramesCount()).isBetween(2, ChannelSettings.DEFAULT_MAX_BATCH);
      assertThat(b.getSerializedSize()).isLessThan(ChannelSettings.DEFAULT_MAX_BATCH_BYTES + PAYLOAD_BYTES + 64);
    }
    assertThat(got.size()).isLessThan(MESSAGES / 2);
  }

  @Test
  void aClientThatDoesNotAskGetsOneFramePerMessageAndAllInOrder() throws Exception {
    RawAttachStream c = attachRaw(false);

    List<AttachResponse> got = echoBurst(c);

    assertThat(got).noneMatch(AttachResponse::hasBatch);
    assertThat(numbersIn(got)).isEqualTo(zeroTo(MESSAGES));
  }

  @Test
  void aBatchThatHoldsHelloOrNothingEndsTheStreamWithInvalidArgument() throws Exception {
    RawAttachStream nested = attachRaw(true);
    nested.write(AttachRequest.newBuilder().setBatch(AttachRequestBatch.newBuilder()
        .addFrames(AttachRequest.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)))).build());
    Status s = nested.ended();
    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(s.getDescription()).contains("a batch may not hold HELLO");

    RawAttachStream empty = attachRaw(true);
    empty.write(AttachRequest.newBuilder().setBatch(AttachRequestBatch.getDefaultInstance()).build());
    Status e = empty.ended();
    assertThat(e.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getDescription()).contains("empty batch");
  }

  @Test
  void aBatchBeforeHelloEndsTheStreamWithFailedPrecondition() throws Exception {
    RawAttachStream c = new RawAttachStream(channel);
    c.write(AttachRequest.newBuilder().setBatch(AttachRequestBatch.newBuilder()
        .addFrames(AttachRequest.newBuilder().setSend(Send.newBuilder().setTo("x").setTopic("t")))).build());

    Status s = c.ended();
    assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s.getDescription()).contains("must be hello");
  }

  @Test
  void theJavaClientKeepsEachSendersOrderThroughBatches() throws Exception {
    AttachedProcess client = cluster.attachRemote("n1");
    int count = 20_000;

    Map<String, Object> result = Floods.postNumbers(client, "app:n1", count);

    assertThat(result.get("values")).isEqualTo(Floods.numbers(count));
  }

  private static AttachRequest send(long requestId, String to, Object value) {
    return AttachRequest.newBuilder().setSend(Send.newBuilder().setRequestId(requestId).setTo(to).setTopic("n")
        .addPayloads(dev.troupe.client.wire.PayloadCodec.encode(value))).build();
  }

  /** Spawns a test:collect for {@code count} messages, reporting to {@code ctl}; returns its PID. */
  private static String collector(AttachedProcess ctl, int count, String name) throws Exception {
    String pid = ctl.spawn("test:collect", "app:n1", ctl.pid(), count, name);
    assertThat(ctl.inbox().receive(Duration.ofSeconds(10)).orElseThrow().value().topic()).isEqualTo("ready");
    ctl.monitor(pid);
    return pid;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> collected(AttachedProcess ctl) throws Exception {
    Event exit = ctl.events().receive(Duration.ofSeconds(30)).orElseThrow().value();
    assertThat(exit.kind()).isEqualTo(Event.Kind.EXIT);
    return (List<Object>) ((java.util.Map<String, Object>) exit.result().value()).get("values");
  }

  @Test
  void aBatchInterleavingTwoProcessesAndANameKeepsEachTargetsOrder() throws Exception {
    AttachedProcess ctlA = cluster.attachRemote("n1");
    AttachedProcess ctlB = cluster.attachRemote("n1");
    int each = 300;
    String a = collector(ctlA, each, "");
    collector(ctlB, each, "batched-b"); // addressed by its name: a lookup in the middle of the batch
    RawAttachStream c = attachRaw(true);

    // Runs of three messages for a, with one for b (by name) after each run, the rest of b's at the end.
    AttachRequestBatch.Builder batch = AttachRequestBatch.newBuilder();
    long nextB = 0;
    for (long i = 0; i < each; i++) {
      batch.addFrames(send(0, a, i));
      if (i % 3 == 2) {
        batch.addFrames(send(0, "batched-b", nextB++));
      }
    }
    while (nextB < each) {
      batch.addFrames(send(0, "batched-b", nextB++));
    }
    c.write(AttachRequest.newBuilder().setBatch(batch).build());

    List<Object> expected = new ArrayList<>();
    for (long i = 0; i < each; i++) {
      expected.add(i);
    }
    assertThat(collected(ctlA)).isEqualTo(expected);
    assertThat(collected(ctlB)).isEqualTo(expected);
  }

  @Test
  void theMailboxBoundCountsEveryMessageOfABatchAsIfDeliveredAtOnce() throws Exception {
    cluster.startNode(NodeConfig.defaults("n2").withDefaultClientHost("app:n2-clients").withMaxMailbox(10));
    ManagedChannel ch2 = Channels.open(cluster.server("n2").address(), ChannelSettings.defaults());
    try {
      RawAttachStream c = new RawAttachStream(ch2, true);
      c.hello(false); // it packs requests; its replies come one a frame
      c.write(AttachRequest.newBuilder().setSpawn(Spawn.newBuilder()
          .setRequestId(1000).setEntry("test:block").setHost("app:n2")).build());
      String blocked = c.reply(1000).getPid(); // it never reads its inbox

      AttachRequestBatch.Builder batch = AttachRequestBatch.newBuilder();
      for (int i = 1; i <= 15; i++) {
        batch.addFrames(send(i, blocked, (long) i));
      }
      c.write(AttachRequest.newBuilder().setBatch(batch).build());

      List<Integer> codes = new ArrayList<>();
      for (int i = 1; i <= 15; i++) {
        codes.add(c.reply(i).getStatus().getCode());
      }
      int exhausted = Status.Code.RESOURCE_EXHAUSTED.value();
      assertThat(codes.subList(0, 10)).as("the first ten fill the mailbox").containsOnly(0);
      assertThat(codes.subList(10, 15)).as("the rest are refused").containsOnly(exhausted);
      assertThat(cluster.node("n2").liveLocal(dev.troupe.api.Pid.parse(blocked)).sink().backlog()).isEqualTo(10);
    } finally {
      ch2.shutdownNow();
    }
  }

  @Test
  void whatABatchHeldBeforeABadFrameIsDeliveredAllTheSame() throws Exception {
    AttachedProcess ctl = cluster.attachRemote("n1");
    String a = collector(ctl, 3, "");
    RawAttachStream c = attachRaw(true);

    c.write(AttachRequest.newBuilder().setBatch(AttachRequestBatch.newBuilder()
        .addFrames(send(0, a, 0L)).addFrames(send(0, a, 1L)).addFrames(send(0, a, 2L))
        .addFrames(AttachRequest.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)))).build());

    assertThat(c.ended().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(collected(ctl)).containsExactly(0L, 1L, 2L);
  }
}
