package dev.troupe.client;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachRequestBatch;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.AttachServiceGrpc;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Attaches a process to a node over gRPC: the way CLIs, worker JVMs and any other OS process take
 * part. A frame goes out at once, on the sender's thread, when the stream is ready and nothing waits
 * before it; frames that queue up while it is not (a fast sender) are packed into batches once the
 * node has said it takes them, and a sender that gets more than {@link #DEFAULT_MAX_QUEUED_BYTES}
 * ahead of the stream waits: it is slowed, never buffered without bound.
 */
public final class GrpcAttach implements AttachTransport, ClientResponseObserver<AttachRequest, AttachResponse> {
  /** How many bytes of frames a sender may queue ahead of a stream that is not ready before it waits. */
  public static final long DEFAULT_MAX_QUEUED_BYTES = 1 << 20;

  /** Completes when the node has ended the stream (after reading all this side sent), or it failed. */
  private final java.util.concurrent.CompletableFuture<Void> ended = new java.util.concurrent.CompletableFuture<>();
  private final AttachConnection conn;
  private final ChannelSettings settings;
  private final Object roomLock = new Object();
  private volatile int waitingForRoom;
  private ReadyGatedWriter<AttachRequest, AttachRequest> writer;

  private GrpcAttach(AttachConnection conn, ChannelSettings settings) {
    this.conn = conn;
    this.settings = settings;
  }

  /** One frame as itself; several as a batch (sent only once the node said it takes batches). */
  static AttachRequest toMessage(java.util.List<AttachRequest> frames) {
    return frames.size() == 1 ? frames.get(0)
        : AttachRequest.newBuilder().setBatch(AttachRequestBatch.newBuilder().addAllFrames(frames)).build();
  }

  /** Opens the stream on {@code channel} and binds it to {@code conn}; hello is still to be sent. */
  public static AttachConnection open(Channel channel, AttachConnection conn) {
    GrpcAttach t = new GrpcAttach(conn, ChannelSettings.defaults());
    AttachServiceGrpc.newStub(channel).attach(t);
    conn.bind(t);
    return conn;
  }

  /**
   * Connects to the node at {@code address} and attaches a client process on {@code host} (empty:
   * the node's default client host). Closing the process closes the channel.
   *
   * @throws TroupeException UNAVAILABLE when the node cannot be reached within {@code timeout}
   */
  public static AttachedProcess attach(String address, String host, String clientName, Duration timeout) {
    ManagedChannel channel = Channels.open(address, ChannelSettings.defaults(), TransportSecurity.client(System.getenv()));
    AttachConnection conn = open(channel, new AttachConnection(AttachConnection.DEFAULT_REQUEST_TIMEOUT));
    conn.onClosed(t -> channel.shutdownNow());
    try {
      try {
        conn.hello(host, clientName);
      } catch (TroupeException streamAlreadyClosed) {
        // The call failed before hello was written (a host that does not resolve, a refused
        // connection): attached() has failed with that cause, which says more than "closed".
      }
      AttachedProcess p = conn.attached().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      p.ended().whenComplete((r, t) -> channel.shutdown());
      return p;
    } catch (ExecutionException e) {
      channel.shutdownNow();
      Status s = Status.fromThrowable(e.getCause());
      throw new TroupeException(ErrorCode.forValue(s.getCode().value()),
          "could not attach to " + address + ": " + s.getCode() + " " + describe(s));
    } catch (TimeoutException e) {
      channel.shutdownNow();
      throw new TroupeException(ErrorCode.UNAVAILABLE, "no Troupe node answered at " + address
          + " within " + timeout.toMillis() + " ms; is it running?");
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
      throw new TroupeException(ErrorCode.CANCELLED, "interrupted while attaching");
    }
  }

  /** The status's description, with the cause's message when gRPC's own is generic ("io exception"). */
  private static String describe(Status s) {
    String d = s.getDescription();
    Throwable c = s.getCause();
    while (c != null && c.getCause() != null) {
      c = c.getCause();
    }
    if (c == null || c.getMessage() == null || (d != null && d.contains(c.getMessage()))) {
      return String.valueOf(d);
    }
    return d == null ? c.getMessage() : d + " (" + c.getMessage() + ")";
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<AttachRequest> requestStream) {
    // One frame per message until the node's `attached` says it takes batches.
    writer = new ReadyGatedWriter<>(requestStream, GrpcAttach::toMessage, AttachRequest::getSerializedSize,
        1, settings.maxBatchBytes()).drainOn(EventLoops.writer());
    writer.afterDrain(this::wakeSenders);
    requestStream.setOnReadyHandler(writer::drain);
  }

  @Override
  public void nodeAcceptsBatches() {
    writer.batchUpTo(settings.maxBatch());
  }

  @Override
  public void send(AttachRequest frame) {
    if (conn.isClosed() || writer.isClosed()) {
      throw new TroupeException(ErrorCode.UNAVAILABLE, "the attach stream to the node is closed");
    }
    writer.enqueue(frame, false);
    if (writer.backlogBytes() > DEFAULT_MAX_QUEUED_BYTES) {
      awaitRoom();
    }
  }

  private void awaitRoom() {
    synchronized (roomLock) {
      waitingForRoom++;
      try {
        while (writer.backlogBytes() > DEFAULT_MAX_QUEUED_BYTES && !conn.isClosed() && !writer.isClosed()) {
          roomLock.wait(100);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TroupeException(ErrorCode.CANCELLED, "interrupted while the stream was full");
      } finally {
        waitingForRoom--;
      }
    }
  }

  /** After the writer has written or closed: senders waiting for room check again. */
  private void wakeSenders() {
    if (waitingForRoom > 0) {
      synchronized (roomLock) {
        roomLock.notifyAll();
      }
    }
  }

  @Override
  public void halfClose() {
    writer.finish(c -> c.onCompleted());
  }

  @Override
  public void awaitEnd(java.time.Duration within) {
    try {
      ended.get(within.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      // the node did not end the stream in time: the caller goes on regardless
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void onNext(AttachResponse frame) {
    conn.onFrame(frame);
  }

  @Override
  public void onError(Throwable t) {
    writer.close();
    conn.onStreamClosed(t);
    ended.complete(null);
  }

  @Override
  public void onCompleted() {
    writer.close();
    conn.onStreamClosed(null);
    ended.complete(null);
  }
}
