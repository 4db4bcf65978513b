package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.troupe.api.Message;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.AttachServiceGrpc;
import dev.troupe.proto.peer.v1.ConnectRequest;
import dev.troupe.proto.peer.v1.ConnectResponse;
import dev.troupe.proto.peer.v1.PeerServiceGrpc;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.TestCluster;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Thousands of malformed, truncated, out-of-order and oversized frames against a node's attach and peer
 * endpoints, while a well-behaved client works next to them: every bad stream ends with a clear status
 * (INVALID_ARGUMENT for bytes that are not a frame, FAILED_PRECONDITION for frames out of order, never
 * UNKNOWN or INTERNAL), the node keeps serving, and the good client sees no error.
 */
@Timeout(120)
class FuzzTest {
  private static final long SEED = 20261121L;
  private TestCluster cluster;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (cluster != null) {
      cluster.close();
    }
  }

  /** A well-behaved client doing echo round trips until told to stop; counts its errors. */
  private static Thread goodClient(AttachedProcess client, AtomicBoolean stop, AtomicInteger ok,
      AtomicReference<Throwable> error) {
    return Thread.ofVirtual().start(() -> {
      try {
        String echo = client.spawn("test:echo", "app:n1");
        while (!stop.get()) {
          client.send(echo, "ping", Map.of("n", ok.get()));
          Message m = client.inbox().receive(Duration.ofSeconds(5)).orElseThrow().value();
          assertThat(m.payload()).isEqualTo(Map.of("n", (long) ok.get()));
          ok.incrementAndGet();
        }
      } catch (Throwable t) {
        error.set(t);
      }
    });
  }

  private ManagedChannel channel() {
    ManagedChannel ch = Channels.open(cluster.server("n1").address(), ChannelSettings.defaults());
    channels.add(ch);
    return ch;
  }

  @Test
  void malformedFramesNeverHurtTheNodeOrOtherClients() throws Exception {
    cluster = new TestCluster(Entries.catalog());
    cluster.startNode(NodeConfig.defaults("n1").withDefaultClientHost("app:n1-clients").withMaxPayloadBytes(4096));
    AttachedProcess good = cluster.attachRemote("n1");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger ok = new AtomicInteger();
    AtomicReference<Throwable> goodError = new AtomicReference<>();
    Thread goodLoop = goodClient(good, stop, ok, goodError);

    Random random = new Random(SEED);
    ManagedChannel ch = channel();
    int streams = 0;
    int outcomes = 0;
    for (int s = 0; s < 150; s++) {
      streams++;
      outcomes += fuzzAttachStream(ch, random, 20) ? 1 : 0;
    }
    for (int s = 0; s < 100; s++) {
      streams++;
      outcomes += garbageBytes(ch, AttachServiceGrpc.getAttachMethod().getFullMethodName(), random) ? 1 : 0;
      streams++;
      outcomes += garbageBytes(ch, PeerServiceGrpc.getConnectMethod().getFullMethodName(), random) ? 1 : 0;
    }
    for (int s = 0; s < 100; s++) {
      streams++;
      outcomes += fuzzPeerStream(ch, random) ? 1 : 0;
    }

    // every bad stream got an answer (a reply or a status), not silence
    assertThat(outcomes).isEqualTo(streams);
    // the node still serves, and the well-behaved client never saw an error
    stop.set(true);
    goodLoop.join(10_000);
    assertThat(goodError.get()).isNull();
    assertThat(ok.get()).isPositive();
    AttachedProcess after = cluster.attachRemote("n1");
    assertThat(after.registry().lookup("nobody")).isEmpty();
  }

  /** Random frames, including requests before hello and a second hello. True when the node answered. */
  private boolean fuzzAttachStream(ManagedChannel ch, Random r, int frames) throws Exception {
    AtomicInteger replies = new AtomicInteger();
    dev.troupe.runtime.testing.StreamEnd<AttachResponse> in =
        new dev.troupe.runtime.testing.StreamEnd<>(reply -> replies.incrementAndGet());
    CompletableFuture<Status> end = in.end;
    StreamObserver<AttachRequest> req = AttachServiceGrpc.newStub(ch).attach(in);
    boolean hello = r.nextInt(4) != 0; // a quarter of the streams never say hello
    if (hello) {
      req.onNext(AttachRequest.newBuilder().setHello(dev.troupe.proto.node.v1.Hello.newBuilder()
          .setProtocolVersion(r.nextInt(10) == 0 ? 2 : 1)).build());
    }
    for (int i = 0; i < frames && !end.isDone(); i++) {
      req.onNext(randomFrame(r, i + 1));
    }
    req.onCompleted();
    Status status = end.get(10, TimeUnit.SECONDS);
    // an answer a client can act on: replies, or a status that is never UNKNOWN or INTERNAL
    return status != null && (replies.get() > 0 || !status.isOk() || !hello)
        && status.getCode() != Status.Code.UNKNOWN && status.getCode() != Status.Code.INTERNAL;
  }

  private static AttachRequest randomFrame(Random r, long id) {
    String target = switch (r.nextInt(5)) {
      case 0 -> "{nope";
      case 1 -> "{app:n1|0x" + Long.toHexString(r.nextInt(100000) + 1) + "}";
      case 2 -> "";
      case 3 -> "\u0001bad\nname";
      default -> "x".repeat(r.nextInt(300));
    };
    String topic = r.nextBoolean() ? "@events" : (r.nextBoolean() ? "" : "t" + r.nextInt(5));
    Payload big = Payload.newBuilder().setRaw(ByteString.copyFrom(new byte[r.nextInt(20_000)])).build();
    AttachRequest.Builder b = AttachRequest.newBuilder();
    switch (r.nextInt(12)) {
      case 0 -> b.setSend(dev.troupe.proto.node.v1.Send.newBuilder().setRequestId(id).setTo(target).setTopic(topic).addPayloads(big));
      case 1 -> b.setSpawn(dev.troupe.proto.node.v1.Spawn.newBuilder().setRequestId(id).setEntry(target).setHost(r.nextBoolean() ? "app:n1" : target).setMonitor(r.nextBoolean()));
      case 2 -> b.setRegisterName(dev.troupe.proto.node.v1.RegisterName.newBuilder().setRequestId(id).setName(target));
      case 3 -> b.setUnregisterName(dev.troupe.proto.node.v1.UnregisterName.newBuilder().setRequestId(id).setName(target));
      case 4 -> b.setLookupName(dev.troupe.proto.node.v1.LookupName.newBuilder().setRequestId(id).setName(target));
      case 5 -> b.setMonitor(dev.troupe.proto.node.v1.Monitor.newBuilder().setRequestId(id).setTarget(target));
      case 6 -> b.setLink(dev.troupe.proto.node.v1.Link.newBuilder().setRequestId(id).setTarget(target));
      case 7 -> b.setTerminate(dev.troupe.proto.node.v1.Terminate.newBuilder().setRequestId(id).setTarget(target));
      case 8 -> b.setCancel(dev.troupe.proto.node.v1.Cancel.newBuilder().setRequestId(id).setTarget(target));
      case 9 -> b.setHello(dev.troupe.proto.node.v1.Hello.newBuilder().setProtocolVersion(1));
      case 10 -> b.setExit(dev.troupe.proto.node.v1.Exit.getDefaultInstance());
      default -> { } // an empty frame
    }
    return b.build();
  }

  /** Bytes that are not a valid message (or are truncated) on a raw call. */
  private boolean garbageBytes(ManagedChannel ch, String method, Random r) throws Exception {
    MethodDescriptor<byte[], byte[]> md = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(method)
        .setRequestMarshaller(new dev.troupe.runtime.testing.RawBytes())
        .setResponseMarshaller(new dev.troupe.runtime.testing.RawBytes())
        .build();
    ClientCall<byte[], byte[]> call = ch.newCall(md, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    CompletableFuture<Status> end = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        end.complete(status);
      }
    }, new Metadata());
    call.request(100);
    byte[] junk = new byte[1 + r.nextInt(200)];
    r.nextBytes(junk);
    junk[0] = (byte) 0xff; // an invalid tag: never parses
    call.sendMessage(junk);
    call.halfClose();
    Status s = end.get(10, TimeUnit.SECONDS);
    // the clear code, naming the type, not UNKNOWN "Application error processing RPC"
    return s != null && s.getCode() == Status.Code.INVALID_ARGUMENT
        && String.valueOf(s.getDescription()).matches(".*is not a valid troupe\\.(node|peer)\\.v1\\..*");
  }

  /** Peer frames out of order: batches before the handshake, handshakes to the wrong incarnation. */
  private boolean fuzzPeerStream(ManagedChannel ch, Random r) throws Exception {
    dev.troupe.runtime.testing.StreamEnd<ConnectResponse> in = new dev.troupe.runtime.testing.StreamEnd<>();
    CompletableFuture<Status> end = in.end;
    StreamObserver<ConnectRequest> req = PeerServiceGrpc.newStub(ch).connect(in);
    if (r.nextBoolean()) {
      req.onNext(ConnectRequest.newBuilder().setBatch(dev.troupe.proto.peer.v1.EnvelopeBatch.getDefaultInstance()).build());
    } else {
      req.onNext(ConnectRequest.newBuilder().setHandshake(dev.troupe.proto.peer.v1.PeerHandshake.newBuilder()
          .setFromNode("intruder").setToNode("n1").setToIncarnation(r.nextLong())).build());
    }
    Status s = end.get(10, TimeUnit.SECONDS);
    req.onCompleted();
    return s.getCode() == Status.Code.FAILED_PRECONDITION;
  }


}
