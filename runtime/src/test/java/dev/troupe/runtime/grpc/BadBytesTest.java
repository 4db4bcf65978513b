package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.Event;
import dev.troupe.client.AttachedProcess;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.AttachServiceGrpc;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.testing.RawAttachStream;
import dev.troupe.runtime.testing.RawBytes;
import dev.troupe.runtime.testing.StreamEnd;
import dev.troupe.runtime.testing.TestCluster;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bytes that are not a frame get a status that says what is wrong, as a client in another language
 * that gets its encoding wrong needs: not valid protobuf is INVALID_ARGUMENT, a frame over the node's
 * size limit RESOURCE_EXHAUSTED with the limit.
 */
@Timeout(60)
class BadBytesTest {
  private TestCluster cluster;
  private ManagedChannel channel;

  /** The attach method, carrying raw bytes. */
  private static final MethodDescriptor<byte[], byte[]> RAW_ATTACH = AttachServiceGrpc.getAttachMethod()
      .toBuilder(new RawBytes(), new RawBytes()).build();



  @BeforeEach
  void start() {
    cluster = new TestCluster(new EntryCatalog());
    cluster.startNode("n1");
    // a larger limit on the client than the node's, so that the node is the one to refuse
    channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forTarget(cluster.server("n1").address())
        .usePlaintext().maxInboundMessageSize(64 << 20).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    cluster.close();
  }

  /**
   * Attaches with a well-formed hello, has a process of the node monitor the attached one, then sends
   * {@code frame}: how the stream ended, and the EXIT the monitor got.
   */
  private record Outcome(Status status, io.grpc.Metadata trailers, Event exit) {}

  private Outcome attachThenSend(byte[] frame) throws Exception {
    ClientCall<byte[], byte[]> call = channel.newCall(RAW_ATTACH, io.grpc.CallOptions.DEFAULT);
    CompletableFuture<byte[]> attached = new CompletableFuture<>();
    StreamEnd<byte[]> in = new StreamEnd<>(attached::complete);
    StreamObserver<byte[]> out = ClientCalls.asyncBidiStreamingCall(call, in);
    out.onNext(RawAttachStream.hello(1, false).toByteArray());
    String pid = AttachResponse.parseFrom(attached.get(10, TimeUnit.SECONDS)).getAttached().getPid();
    AttachedProcess watcher = cluster.attachLocal("n1");
    watcher.monitor(pid);

    out.onNext(frame);
    Status status = in.end.get(30, TimeUnit.SECONDS);
    Event exit = watcher.events().receive(Duration.ofSeconds(10)).orElseThrow().value();
    assertThat(exit.from()).isEqualTo(pid);
    return new Outcome(status, in.trailers, exit);
  }

  @Test
  void aFrameThatIsNotProtobufEndsTheStreamWithInvalidArgumentAndItsProcessSaysWhy() throws Exception {
    // a field header announcing 100 bytes of field 1 that never come
    Outcome o = attachThenSend(new byte[] {0x0a, 0x64, 0x01});
    assertThat(o.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(o.status().getDescription()).contains("not a valid troupe.node.v1.AttachRequest");
    assertThat(o.exit().result().error()).contains("not a valid troupe.node.v1.AttachRequest");
    // with the typed detail in the trailers
    assertThat(o.trailers()).isNotNull();
    com.google.rpc.Status rpc = io.grpc.protobuf.StatusProto.fromStatusAndTrailers(o.status(), o.trailers());
    assertThat(rpc.getDetailsList()).anySatisfy(d -> assertThat(
        d.unpack(dev.troupe.proto.errordetails.v1.BadFrameFailure.class).getFrame())
        .isEqualTo("troupe.node.v1.AttachRequest"));
  }

  @Test
  void aFrameOverTheSizeLimitEndsTheStreamWithResourceExhaustedAndTheLimit() throws Exception {
    byte[] big = new byte[17 << 20];
    big[0] = 0x0a; // field 1, then a length; the content does not matter: its size does
    Outcome o = attachThenSend(big);
    assertThat(o.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(o.status().getDescription()).contains("16777216");
    assertThat(o.exit().result().error()).contains("RESOURCE_EXHAUSTED", "16777216")
        .doesNotContain("cancelled by the client");
  }
}
