package dev.troupe.runtime.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.AttachServiceGrpc;
import dev.troupe.proto.node.v1.Hello;
import dev.troupe.proto.node.v1.Reply;
import dev.troupe.proto.node.v1.Send;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * One attach stream driven frame by frame with the generated stubs alone, as a client in another
 * language would. With {@code readOnDemand} it takes a message from the node only when {@link #next}
 * asks (and one at the start), so the test decides when the node's writes back up.
 */
public final class RawAttachStream implements ClientResponseObserver<AttachRequest, AttachResponse> {
  private final BlockingQueue<AttachResponse> messages = new LinkedBlockingQueue<>();
  private final List<AttachResponse> deliveries = new ArrayList<>();
  private final CompletableFuture<Status> end = new CompletableFuture<>();
  private final AtomicLong ids = new AtomicLong();
  private final boolean readOnDemand;
  private ClientCallStreamObserver<AttachRequest> call;

  public RawAttachStream(Channel channel, boolean readOnDemand) {
    this.readOnDemand = readOnDemand;
    AttachServiceGrpc.newStub(channel).attach(this);
  }

  public RawAttachStream(Channel channel) {
    this(channel, false);
  }

  public static AttachRequest hello(int version, boolean acceptBatches) {
    return AttachRequest.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(version)
        .setClientName("raw-test").setAcceptBatches(acceptBatches)).build();
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<AttachRequest> requestStream) {
    call = requestStream;
    if (readOnDemand) {
      requestStream.disableAutoInboundFlowControl();
    }
  }

  @Override
  public void onNext(AttachResponse value) {
    messages.add(value);
  }

  @Override
  public void onError(Throwable t) {
    end.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    end.complete(Status.OK);
  }

  public void write(AttachRequest frame) {
    call.onNext(frame);
  }

  /** Sends hello (version 1) and returns the PID from attached. */
  public String hello() throws InterruptedException {
    return hello(false).getPid();
  }

  /** Sends hello (version 1), saying whether it accepts batches, and returns attached. */
  public dev.troupe.proto.node.v1.Attached hello(boolean acceptBatches) throws InterruptedException {
    write(hello(1, acceptBatches));
    AttachResponse r = next();
    assertThat(r.getFrameCase()).isEqualTo(AttachResponse.FrameCase.ATTACHED);
    return r.getAttached();
  }

  /** The node's next message, or a failed test after {@link Driver#WAIT}. */
  public AttachResponse next() throws InterruptedException {
    if (readOnDemand) {
      call.request(1);
    }
    AttachResponse r = messages.poll(Driver.WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (r == null) {
      fail("expected a frame from the node within " + Driver.WAIT);
    }
    return r;
  }

  /** Sends {@code to}/{@code topic}/{@code payloads} with a request id; returns the reply. */
  public Reply send(String to, String topic, Payload... payloads) throws InterruptedException {
    return request(id -> AttachRequest.newBuilder().setSend(Send.newBuilder().setRequestId(id).setTo(to)
        .setTopic(topic).addAllPayloads(List.of(payloads))).build());
  }

  public Reply request(LongFunction<AttachRequest> build) throws InterruptedException {
    long id = ids.incrementAndGet();
    write(build.apply(id));
    return reply(id);
  }

  /** The reply to request {@code id}; deliveries seen meanwhile are kept for {@link #delivery}. */
  public Reply reply(long id) throws InterruptedException {
    while (true) {
      AttachResponse r = next();
      if (r.hasReply() && r.getReply().getRequestId() == id) {
        return r.getReply();
      }
      if (r.hasDelivery()) {
        deliveries.add(r);
      }
    }
  }

  public AttachResponse delivery() throws InterruptedException {
    if (!deliveries.isEmpty()) {
      return deliveries.remove(0);
    }
    AttachResponse r = next();
    assertThat(r.getFrameCase()).isEqualTo(AttachResponse.FrameCase.DELIVERY);
    return r;
  }

  /** How the node ended the stream, or a failed test after {@link Driver#WAIT}. */
  public Status ended() throws Exception {
    return end.get(Driver.WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }
}
