package dev.troupe.runtime.grpc;

import dev.troupe.client.ChannelSettings;
import dev.troupe.client.EventLoops;
import dev.troupe.client.ReadyGatedWriter;
import dev.troupe.client.wire.GrpcErrors;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.AttachResponseBatch;
import dev.troupe.proto.node.v1.AttachServiceGrpc;
import dev.troupe.runtime.node.AttachSession;
import dev.troupe.runtime.node.FrameSink;
import dev.troupe.runtime.node.Node;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC adapter of the attach protocol: one {@link AttachSession} per stream. Frames for a client
 * that accepts batches are packed into {@code AttachResponse.batch} when several wait for its stream.
 */
public final class AttachGrpcService extends AttachServiceGrpc.AttachServiceImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(AttachGrpcService.class);
  private final Node node;
  private final ChannelSettings settings;

  public AttachGrpcService(Node node, ChannelSettings settings) {
    this.node = node;
    this.settings = settings;
  }

  /**
   * Why the stream was cancelled, for the process's end: bytes that were not a frame (ParseGuard), a
   * frame over the size limit (the transport's status), else the client's cancel.
   */
  private static String cancelReason() {
    String refused = ParseGuard.refusal();
    if (refused != null) {
      return "attach stream ended: " + refused;
    }
    Throwable cause = io.grpc.Context.current().cancellationCause();
    Status s = cause == null ? null : Status.fromThrowable(cause);
    if (s != null && s.getCode() != Status.Code.CANCELLED && s.getCode() != Status.Code.UNKNOWN) {
      return "attach stream ended: " + s.getCode() + " " + s.getDescription();
    }
    return "attach stream cancelled by the client";
  }

  /** One frame as itself; several as a batch (sent only once the client said it accepts batches). */
  static AttachResponse toMessage(java.util.List<AttachResponse> frames) {
    return frames.size() == 1 ? frames.get(0)
        : AttachResponse.newBuilder().setBatch(AttachResponseBatch.newBuilder().addAllFrames(frames)).build();
  }

  @Override
  public StreamObserver<AttachRequest> attach(StreamObserver<AttachResponse> responses) {
    ServerCallStreamObserver<AttachResponse> call = (ServerCallStreamObserver<AttachResponse>) responses;
    // One frame per message until the client's hello says it accepts batches.
    ReadyGatedWriter<AttachResponse, AttachResponse> writer = new ReadyGatedWriter<>(call,
        AttachGrpcService::toMessage, AttachResponse::getSerializedSize, 1, settings.maxBatchBytes())
        .drainOn(EventLoops.writer());
    call.setOnReadyHandler(writer::drain);
    FrameSink sink = new FrameSink() {
      @Override
      public void push(AttachResponse frame) {
        // Only replies may overtake: deliveries, events and terminations keep their order, so an EXIT never passes the messages its process sent before it.
        writer.enqueue(frame, frame.getFrameCase() == AttachResponse.FrameCase.REPLY);
      }

      @Override
      public int backlog() {
        return writer.backlog();
      }
    };
    AttachSession session = new AttachSession(node, sink);
    call.setOnCancelHandler(() -> {
      writer.close();
      session.onClosed(cancelReason());
    });
    return new StreamObserver<>() {
      private boolean done;

      @Override
      public void onNext(AttachRequest frame) {
        if (done) {
          return;
        }
        if (frame.hasHello() && frame.getHello().getAcceptBatches()) {
          writer.batchUpTo(settings.maxBatch());
        }
        try {
          session.onFrame(frame);
        } catch (AttachSession.StreamFault f) {
          done = true;
          LOG.debug("{}: ending an attach stream: {}", node.label(), f.getMessage());
          session.onClosed(f.getMessage());
          writer.finish(c -> c.onError(GrpcErrors.toStatusException(
              new dev.troupe.api.TroupeException(f.code(), f.getMessage()))));
        }
      }

      @Override
      public void onError(Throwable t) {
        done = true;
        writer.close();
        session.onClosed("attach stream broke: " + Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        if (done) {
          return;
        }
        done = true;
        session.onClosed("attach stream closed without exit");
        writer.finish(c -> c.onCompleted());
      }
    };
  }
}
