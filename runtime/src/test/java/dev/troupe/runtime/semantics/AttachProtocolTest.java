package dev.troupe.runtime.semantics;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Value;
import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.wire.PayloadCodec;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.Hello;
import dev.troupe.proto.node.v1.Monitor;
import dev.troupe.proto.node.v1.RegisterName;
import dev.troupe.proto.node.v1.Reply;
import dev.troupe.proto.node.v1.Send;
import dev.troupe.proto.node.v1.Spawn;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.testing.Driver;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.RawAttachStream;
import dev.troupe.runtime.testing.TestCluster;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The attach stream under bad input, spoken with raw gRPC stubs: what ends a stream, what only fails
 * one request, and that one bad client never disturbs another (attach_service.proto).
 */
@Timeout(60)
class AttachProtocolTest {
  private static final int MAX_PAYLOAD = 1000;
  private final TestCluster cluster = new TestCluster(Entries.catalog());
  private final List<ManagedChannel> channels = new ArrayList<>();
  private String address;

  @BeforeEach
  void start() {
    address = cluster.startNode(NodeConfig.defaults("n1").withMaxPayloadBytes(MAX_PAYLOAD)
        .withDefaultClientHost("app:n1-clients")).address();
  }

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    cluster.close();
  }

  private static AttachRequest hello(int version) {
    return RawAttachStream.hello(version, false);
  }

  /** A raw stream on its own channel. */
  private RawAttachStream rawStream() {
    ManagedChannel ch = ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    channels.add(ch);
    return new RawAttachStream(ch);
  }

  private static Payload text(String s) {
    return Payload.newBuilder().setValue(Value.newBuilder().setStringValue(s)).build();
  }

  private static ErrorCode code(Reply r) {
    return r.getStatus().getCode() == 0 ? null : ErrorCode.forValue(r.getStatus().getCode());
  }

  @Test
  void shouldEndTheStreamWithFailedPreconditionWhenARequestComesBeforeHello() throws Exception {
    RawAttachStream s = rawStream();

    s.write(AttachRequest.newBuilder().setSend(Send.newBuilder().setRequestId(1).setTo("x")
        .setTopic("t")).build());

    Status end = s.ended();
    assertThat(end.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(end.getDescription()).contains("first frame").contains("hello");
  }

  @Test
  void shouldEndTheStreamWithFailedPreconditionOnASecondHello() throws Exception {
    RawAttachStream s = rawStream();
    s.hello();

    s.write(hello(1));

    assertThat(s.ended().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
  }

  @Test
  void shouldEndTheStreamWithInvalidArgumentForAnUnsupportedProtocolVersion() throws Exception {
    RawAttachStream s = rawStream();

    s.write(hello(2));

    Status end = s.ended();
    assertThat(end.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(end.getDescription()).contains("protocol_version 2");
  }

  @Test
  void shouldEndTheStreamWithInvalidArgumentForAnUnknownHelloHost() throws Exception {
    RawAttachStream s = rawStream();

    s.write(AttachRequest.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)
        .setHost("app:nowhere")).build());

    assertThat(s.ended().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void shouldEndTheStreamWithUnavailableForAHelloOnceItsNodeIsShuttingDown() throws Exception {
    // given: the node has begun to shut down (its processes ended), its server not closed yet
    RawAttachStream before = rawStream();
    before.hello();
    cluster.server("n1").node().shutdown();
    assertThat(before.next().getFrameCase()).as("the attached client's end")
        .isEqualTo(AttachResponse.FrameCase.TERMINATED);

    // when: a client attaches then, as one that re-attaches at once would
    RawAttachStream s = rawStream();
    s.write(hello(1));

    // then: refused, saying why, rather than given a PID the closing server would end again
    Status end = s.ended();
    assertThat(end.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(end.getDescription()).contains("node n1 is shutting down");
  }

  @Test
  void shouldEndTheStreamWithInvalidArgumentForAnEmptyFrame() throws Exception {
    RawAttachStream s = rawStream();
    s.hello();

    s.write(AttachRequest.getDefaultInstance());

    assertThat(s.ended().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void shouldAnswerAMalformedPidWithInvalidArgumentAndKeepTheStream() throws Exception {
    // given
    RawAttachStream s = rawStream();
    String me = s.hello();

    // when
    Reply bad = s.send("{nope", "t", text("x"));

    // then: only that request failed
    assertThat(code(bad)).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(bad.getStatus().getMessage()).contains("malformed PID");
    assertThat(code(s.send(me, "t", text("still works")))).isNull();
    AttachResponse d = s.delivery();
    assertThat(d.getDelivery().getFrom()).isEqualTo(me);
    assertThat(d.getDelivery().getPayloads(0)).isEqualTo(text("still works"));
  }

  @Test
  void shouldAnswerOtherBadRequestsWithTheirCodesAndKeepTheStream() throws Exception {
    RawAttachStream s = rawStream();
    String me = s.hello();

    assertThat(code(s.send(me, "@x"))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(code(s.send(me, ""))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(code(s.send("", "t"))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(code(s.send("nobody", "t"))).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(code(s.request(id -> AttachRequest.newBuilder().setMonitor(Monitor.newBuilder()
        .setRequestId(id).setTarget("{nope")).build()))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(code(s.request(id -> AttachRequest.newBuilder().setRegisterName(RegisterName.newBuilder()
        .setRequestId(id).setName("")).build()))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(code(s.request(id -> AttachRequest.newBuilder().setSpawn(Spawn.newBuilder()
        .setRequestId(id).setEntry("test:unknown").setHost("app:n1")).build())))
        .isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(code(s.request(id -> AttachRequest.newBuilder().setSpawn(Spawn.newBuilder()
        .setRequestId(id).setEntry("test:return").setHost("app:nowhere")).build())))
        .isEqualTo(ErrorCode.NOT_FOUND);

    assertThat(code(s.send(me, "t", text("alive")))).isNull();
    assertThat(s.delivery().getDelivery().getPayloads(0)).isEqualTo(text("alive"));
  }

  @Test
  void shouldRefuseAPayloadOverTheNodesLimitAndKeepTheStream() throws Exception {
    // given
    RawAttachStream s = rawStream();
    String me = s.hello();

    // when
    Reply big = s.send(me, "t", text("x".repeat(2 * MAX_PAYLOAD)));

    // then
    assertThat(code(big)).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
    assertThat(big.getStatus().getMessage()).contains("limit of " + MAX_PAYLOAD);
    assertThat(code(s.send(me, "t", text("small")))).isNull();
    assertThat(s.delivery().getDelivery().getPayloads(0)).isEqualTo(text("small"));
  }

  @Test
  void shouldTellAClientItsNodesPayloadLimitInAttachedAndMeasureAMessageAsTheNodeDoes() throws Exception {
    // given
    RawAttachStream s = rawStream();
    s.write(hello(1));

    // when
    AttachResponse attached = s.next();

    // then: the limit, and a Java client reads it and sizes a message the node's way
    assertThat(attached.getAttached().getMaxPayloadBytes()).isEqualTo(MAX_PAYLOAD);
    AttachedProcess client = cluster.attachRemote("n1");
    assertThat(client.maxPayloadBytes()).isEqualTo(MAX_PAYLOAD);
    int n = MAX_PAYLOAD;
    while (PayloadCodec.encodedSize("y".repeat(n)) > MAX_PAYLOAD) {
      n--;
    }
    String fits = "y".repeat(n); // the longest text the node takes, by the client's measure
    client.send(client.pid(), "t", fits);
    ClusterSemantics.failsWith(ErrorCode.RESOURCE_EXHAUSTED, () -> client.send(client.pid(), "t", fits + "y"));
  }

  @Test
  void shouldRefuseOversizedSpawnArgumentsFromAJavaClientToo() {
    AttachedProcess client = cluster.attachRemote("n1");

    ClusterSemantics.failsWith(ErrorCode.RESOURCE_EXHAUSTED,
        () -> client.spawn("test:return", "app:n1", "y".repeat(2 * MAX_PAYLOAD)));
    ClusterSemantics.failsWith(ErrorCode.RESOURCE_EXHAUSTED,
        () -> client.send(client.pid(), "t", "y".repeat(2 * MAX_PAYLOAD)));
    client.send(client.pid(), "t", "fine");
  }

  @Test
  void shouldEndTheProcessWithACrashWhenItsStreamEndsWithoutExit() throws Exception {
    // given: a raw client monitored by a good one
    AttachedProcess good = cluster.attachRemote("n1");
    Driver driver = new Driver(good);
    RawAttachStream bad = rawStream();
    String badPid = bad.hello();
    good.monitor(badPid);

    // when: the bad client breaks protocol, which ends its stream
    bad.write(hello(1));

    // then
    assertThat(bad.ended().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    Event exit = driver.nextEvent();
    assertThat(exit.from()).isEqualTo(badPid);
    assertThat(exit.result().errorKind()).isEqualTo("CRASHED");
  }

  @Test
  void shouldEndAClientThatClosesCleanlyWithANormalExit() throws Exception {
    // given
    AttachedProcess watcher = cluster.attachRemote("n1");
    Driver driver = new Driver(watcher);
    AttachedProcess leaving = cluster.attachRemote("n1");
    watcher.monitor(leaving.pid());

    // when
    leaving.close();

    // then
    Event exit = driver.nextEvent();
    assertThat(exit.from()).isEqualTo(leaving.pid());
    assertThat(exit.result().isError()).isFalse();
    assertThat(exit.result().value()).isNull();
  }

  @Test
  void shouldNeverLetOneBadClientAffectAnother() throws Exception {
    // given: a good client talking to an echo process
    AttachedProcess good = cluster.attachRemote("n1");
    Driver driver = new Driver(good);
    String echo = good.spawn("test:echo", "app:n1");

    for (int round = 0; round < 5; round++) {
      // when: bad clients misbehave in every way at the same time
      RawAttachStream noHello = rawStream();
      noHello.write(AttachRequest.newBuilder().setSend(Send.newBuilder().setTo(echo).setTopic("t"))
          .build());
      RawAttachStream wrongVersion = rawStream();
      wrongVersion.write(hello(7));
      RawAttachStream noisy = rawStream();
      String noisyPid = noisy.hello();
      noisy.send("{nope", "t");
      noisy.send(echo, "t", text("z".repeat(5 * MAX_PAYLOAD)));
      noisy.send(echo, "@inbox");
      noisy.write(hello(1));

      // then: the good client's work goes on undisturbed
      for (int i = 0; i < 20; i++) {
        good.send(echo, "t", round * 100L + i);
        Message m = driver.nextInbox();
        assertThat(m.from()).isEqualTo(echo);
        assertThat(m.payload()).isEqualTo(round * 100L + i);
      }
      assertThat(noHello.ended().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(wrongVersion.ended().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(noisy.ended().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      ClusterSemantics.failsWith(ErrorCode.NOT_FOUND, () -> good.monitor(noisyPid));
    }
    assertThat(good.hasEnded()).isFalse();
    good.send(echo, "stop");
  }
}
