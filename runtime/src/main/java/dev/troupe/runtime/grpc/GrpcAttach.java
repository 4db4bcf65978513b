package dev.troupe.runtime.grpc;

import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.AttachServiceGrpc;
import dev.troupe.runtime.api.ErrorCode;
import dev.troupe.runtime.api.TroupeException;
import dev.troupe.runtime.process.AttachConnection;
import dev.troupe.runtime.process.AttachTransport;
import dev.troupe.runtime.process.AttachedProcess;
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
 * part. Writes wait while the stream is not ready, so a fast sender is slowed, never buffered without
 * bound.
 */
public final class GrpcAttach implements AttachTransport, ClientResponseObserver<AttachRequest, AttachResponse> {
  private final AttachConnection conn;
  private final Object readyLock = new Object();
  private ClientCallStreamObserver<AttachRequest> call;

  private GrpcAttach(AttachConnection conn) {
    this.conn = conn;
  }

  /** Opens the stream on {@code channel} and binds it to {@code conn}; hello is still to be sent. */
  public static AttachConnection open(Channel channel, AttachConnection conn) {
    GrpcAttach t = new GrpcAttach(conn);
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
    ManagedChannel channel = Channels.open(address, PeerSettings.defaults());
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
    this.call = requestStream;
    requestStream.setOnReadyHandler(() -> {
      synchronized (readyLock) {
        readyLock.notifyAll();
      }
    });
  }

  @Override
  public void send(AttachRequest frame) {
    synchronized (readyLock) {
      while (!call.isReady() && !conn.isClosed()) {
        try {
          readyLock.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TroupeException(ErrorCode.CANCELLED, "interrupted while the stream was full");
        }
      }
      if (conn.isClosed()) {
        throw new TroupeException(ErrorCode.UNAVAILABLE, "the attach stream to the node is closed");
      }
      call.onNext(frame);
    }
  }

  @Override
  public void halfClose() {
    synchronized (readyLock) {
      try {
        call.onCompleted();
      } catch (IllegalStateException ignored) {
        // already closed
      }
    }
  }

  @Override
  public void onNext(AttachResponse frame) {
    conn.onFrame(frame);
  }

  @Override
  public void onError(Throwable t) {
    conn.onStreamClosed(t);
  }

  @Override
  public void onCompleted() {
    conn.onStreamClosed(null);
  }
}
