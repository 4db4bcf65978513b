package dev.troupe.client;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Arrival;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.Attached;
import dev.troupe.proto.node.v1.Hello;
import dev.troupe.proto.node.v1.Reply;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The client side of one attach stream: sends frames, correlates replies by request id, and hands
 * deliveries, events and terminations to the process the node assigned.
 */
public final class AttachConnection {
  /** Default bound on how long a process waits for its node to answer one request. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private final Duration requestTimeout;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, CompletableFuture<Reply>> pending = new ConcurrentHashMap<>();
  private final CompletableFuture<AttachedProcess> first = new CompletableFuture<>();
  private volatile AttachTransport transport;
  private volatile AttachedProcess current;
  private volatile Consumer<AttachedProcess> onAssigned = p -> {};
  private volatile Consumer<Throwable> onClosed = t -> {};
  private volatile boolean closed;

  public AttachConnection(Duration requestTimeout) {
    this.requestTimeout = requestTimeout;
  }

  public void bind(AttachTransport t) {
    this.transport = t;
  }

  /** Called for every process the node assigns to this stream, on the thread that read the frame. */
  public void onAssigned(Consumer<AttachedProcess> listener) {
    this.onAssigned = listener;
  }

  /** Called once when the stream ends (null cause: the node completed it). */
  public void onClosed(Consumer<Throwable> listener) {
    this.onClosed = listener;
  }

  /** Sends hello; this client understands batches. */
  public void hello(String host, String clientName) {
    send(AttachRequest.newBuilder().setHello(Hello.newBuilder()
        .setProtocolVersion(1).setHost(host).setClientName(clientName).setAcceptBatches(true)).build());
  }

  /** The first process assigned to this stream. */
  public CompletableFuture<AttachedProcess> attached() {
    return first;
  }

  public boolean isClosed() {
    return closed;
  }

  private AttachedProcess target(AttachResponse frame) {
    return current;
  }

  void send(AttachRequest frame) {
    if (closed) {
      throw new TroupeException(ErrorCode.UNAVAILABLE, "the attach stream to the node is closed");
    }
    transport.send(frame);
  }

  void halfClose() {
    AttachTransport t = transport;
    if (t != null && !closed) {
      t.halfClose();
    }
  }

  /** After {@link #halfClose()}: until the node has read all that was sent, at most {@code within}. */
  void awaitEnd(Duration within) {
    AttachTransport t = transport;
    if (t != null) {
      t.awaitEnd(within);
    }
  }

  long nextRequestId() {
    return ids.incrementAndGet();
  }

  CompletableFuture<Reply> expect(long id) {
    CompletableFuture<Reply> f = new CompletableFuture<>();
    pending.put(id, f);
    if (closed) {
      pending.remove(id);
      f.completeExceptionally(unavailable());
    }
    return f;
  }

  void forget(long id) {
    pending.remove(id);
  }

  Duration requestTimeout() {
    return requestTimeout;
  }

  /** One frame from the node. */
  public void onFrame(AttachResponse frame) {
    switch (frame.getFrameCase()) {
      case REPLY -> {
        CompletableFuture<Reply> f = pending.remove(frame.getReply().getRequestId());
        if (f != null) {
          f.complete(frame.getReply());
        }
      }
      case DELIVERY -> {
        AttachedProcess p = target(frame);
        if (p != null) {
          p.deliver(frame.getDelivery());
        }
      }
      case EVENT -> {
        AttachedProcess p = target(frame);
        if (p != null) {
          p.event(frame.getEvent());
        }
      }
      case ATTACHED -> assigned(frame.getAttached());
      case BATCH -> {
        for (AttachResponse f : frame.getBatch().getFramesList()) {
          onFrame(f);
        }
      }
      case TERMINATED -> {
        AttachedProcess p = target(frame);
        if (p != null) {
          finished(p);
          p.terminatedByNode(frame.getTerminated().getError().getMessage());
        }
      }
      case FRAME_NOT_SET -> {}
    }
  }

  /** A message for the current process, handed over without a frame (an in-JVM node's delivery). */
  public void deliver(String from, String topic, java.util.List<dev.troupe.proto.common.v1.Payload> payloads) {
    AttachedProcess p = current;
    if (p != null) {
      p.deliver(from, topic, payloads);
    }
  }

  /** Messages for the current process, in order, taken into its mailbox at once. */
  public void deliverAll(java.util.List<Arrival> arrivals) {
    AttachedProcess p = current;
    if (p != null) {
      p.deliverAll(arrivals);
    }
  }

  private void assigned(Attached a) {
    AttachedProcess p = new AttachedProcess(this, a);
    current = p;
    AttachTransport t = transport;
    if (t != null && a.getAcceptsBatches()) {
      t.nodeAcceptsBatches();
    }
    first.complete(p);
    onAssigned.accept(p);
  }

  /** Messages and events the current process has received but not yet taken. */
  public int queued() {
    AttachedProcess p = current;
    return p == null ? 0 : p.queued();
  }

  /** The process finished and sent exit; later frames are not its. */
  void finished(AttachedProcess p) {
    if (current == p) {
      current = null;
    }
  }

  /** The stream ended: every waiting request fails, and the process cannot go on. */
  public void onStreamClosed(Throwable cause) {
    closed = true;
    TroupeException e = unavailable();
    pending.values().forEach(f -> f.completeExceptionally(e));
    pending.clear();
    first.completeExceptionally(cause != null ? cause : e);
    AttachedProcess p = current;
    current = null;
    if (p != null) {
      p.terminatedByNode("attach stream closed: " + (cause == null ? "node ended it" : cause.getMessage()));
    }
    onClosed.accept(cause);
  }

  private static TroupeException unavailable() {
    return new TroupeException(ErrorCode.UNAVAILABLE, "the attach stream to the node is closed");
  }
}
