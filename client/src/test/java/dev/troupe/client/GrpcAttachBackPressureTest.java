package dev.troupe.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.AttachServiceGrpc;
import dev.troupe.proto.node.v1.Attached;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Java client that sends faster than its node reads is slowed, not buffered without bound: once its
 * stream is not ready and about {@link GrpcAttach#DEFAULT_MAX_QUEUED_BYTES} wait, {@code post} blocks;
 * when the node reads again, every frame arrives, in order.
 */
@Timeout(60)
class GrpcAttachBackPressureTest {
  private static final int PAYLOAD_BYTES = 8 * 1024;
  private static final int POSTS = 1024; // 8 MiB: far more than the queue and the transport's windows
  private Server server;
  private AttachedProcess client;

  /** A node that answers hello, then reads nothing until {@link #readAll} is called. */
  private static final class StallingNode extends AttachServiceGrpc.AttachServiceImplBase {
    final BlockingQueue<AttachRequest> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<ServerCallStreamObserver<AttachResponse>> call = new CompletableFuture<>();

    @Override
    public StreamObserver<AttachRequest> attach(StreamObserver<AttachResponse> responses) {
      ServerCallStreamObserver<AttachResponse> c = (ServerCallStreamObserver<AttachResponse>) responses;
      c.disableAutoRequest();
      c.request(1); // the hello
      call.complete(c);
      return new StreamObserver<>() {
        @Override
        public void onNext(AttachRequest frame) {
          if (frame.hasHello()) {
            responses.onNext(AttachResponse.newBuilder().setAttached(Attached.newBuilder()
                .setPid("{app:clients|0x00001}").setNode("stalling").setAcceptsBatches(true)).build());
            return;
          }
          if (frame.hasBatch()) {
            frames.addAll(frame.getBatch().getFramesList());
          } else {
            frames.add(frame);
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }

    void readAll() throws Exception {
      call.get(10, TimeUnit.SECONDS).request(Integer.MAX_VALUE);
    }
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.shutdownNow();
    }
  }

  @Test
  void aSenderAheadOfAStreamThatIsNotReadyWaitsAndLosesNothing() throws Exception {
    StallingNode node = new StallingNode();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).directExecutor()
        .addService(node).build().start();
    client = GrpcAttach.attach("127.0.0.1:" + server.getPort(), "", "back-pressure-test", Duration.ofSeconds(10));

    AtomicInteger posted = new AtomicInteger();
    Thread sender = Thread.ofPlatform().start(() -> {
      for (int i = 0; i < POSTS; i++) {
        byte[] b = new byte[PAYLOAD_BYTES];
        ByteBuffer.wrap(b).putInt(i);
        client.post("{app:sink|0x00002}", "m", (Object) b);
        posted.incrementAndGet();
      }
    });

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!(sender.getState() == Thread.State.TIMED_WAITING || sender.getState() == Thread.State.WAITING)
        && sender.isAlive() && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    int whenBlocked = posted.get();
    assertThat(sender.isAlive()).as("the sender waits for room instead of buffering 8 MiB").isTrue();
    // What may be ahead of the node: the client's queue, gRPC's own buffer and the HTTP/2 windows.
    assertThat((long) whenBlocked * PAYLOAD_BYTES)
        .isLessThanOrEqualTo(GrpcAttach.DEFAULT_MAX_QUEUED_BYTES + (3L << 20));

    node.readAll();
    sender.join(30_000);
    assertThat(sender.isAlive()).isFalse();
    assertThat(posted.get()).isEqualTo(POSTS);
    List<Integer> order = new ArrayList<>();
    while (order.size() < POSTS) {
      AttachRequest f = node.frames.poll(10, TimeUnit.SECONDS);
      assertThat(f).as("frame %d within 10 s", order.size()).isNotNull();
      order.add(f.getSend().getPayloads(0).getRaw().asReadOnlyByteBuffer().getInt());
    }
    for (int i = 0; i < POSTS; i++) {
      assertThat(order.get(i)).isEqualTo(i);
    }
  }
}
