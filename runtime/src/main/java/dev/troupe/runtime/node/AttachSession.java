package dev.troupe.runtime.node;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Frames;
import dev.troupe.proto.common.v1.ErrorKind;
import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.Attached;
import dev.troupe.proto.node.v1.Hello;
import dev.troupe.proto.node.v1.Reply;
import dev.troupe.proto.node.v1.Send;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's side of one attach stream: checks each frame, turns it into a {@link Node} call and
 * answers with a reply correlated by request id. One bad request gets an error reply; the stream and
 * its other work go on. Sends from one session are applied in order, even when an earlier one waits
 * on a name lookup, so that per-sender FIFO holds.
 */
public final class AttachSession {
  private static final Logger LOG = LoggerFactory.getLogger(AttachSession.class);
  public static final int PROTOCOL_VERSION = 1;

  /** Why a stream must end: the adapter turns it into a status on the stream. */
  public static final class StreamFault extends RuntimeException {
    private final ErrorCode code;

    StreamFault(ErrorCode code, String message) {
      super(message, null, false, false);
      this.code = code;
    }

    public ErrorCode code() {
      return code;
    }
  }

  private final Node node;
  private final FrameSink out;
  private volatile LocalProcess current;
  private volatile boolean helloSeen;
  private CompletableFuture<Void> sendTail = Node.SENT;
  /** Sends of a stream mostly go where its last one went: PIDs are not parsed again. */
  private final PidMemo pids = new PidMemo();
  /** The messages of the batch being read (batches come from the stream's one reading thread). */
  private final DeliveryRun batchRun = new DeliveryRun();

  public AttachSession(Node node, FrameSink out) {
    this.node = node;
    this.out = out;
  }

  public FrameSink sink() {
    return out;
  }

  public LocalProcess current() {
    return current;
  }

  /**
   * Handles one frame.
   *
   * @throws StreamFault when the stream must end (no hello first, a second hello, a bad hello)
   */
  public void onFrame(AttachRequest frame) {
    if (frame.getFrameCase() == AttachRequest.FrameCase.BATCH && helloSeen) {
      onBatch(frame.getBatch().getFramesList());
      return;
    }
    onFrame(frame, null);
  }

  /**
   * A batch's frames, in order. Consecutive sends to one process of this node reach its mailbox
   * together ({@link DeliveryRun}); any other frame waits for the messages before it.
   */
  private void onBatch(List<AttachRequest> frames) {
    if (frames.isEmpty()) {
      throw new StreamFault(ErrorCode.INVALID_ARGUMENT, "empty batch: a batch holds at least one frame");
    }
    try {
      for (int i = 0, n = frames.size(); i < n; i++) {
        AttachRequest f = frames.get(i);
        if (f.getFrameCase() == AttachRequest.FrameCase.HELLO || f.getFrameCase() == AttachRequest.FrameCase.BATCH) {
          throw new StreamFault(ErrorCode.INVALID_ARGUMENT,
              "a batch may not hold " + f.getFrameCase() + "; send hello alone, and batches unnested");
        }
        if (f.getFrameCase() == AttachRequest.FrameCase.SEND) {
          onFrame(f, batchRun);
        } else {
          batchRun.flush();
          onFrame(f, null);
        }
      }
    } finally {
      batchRun.flush(); // what was accepted before a bad frame is delivered all the same
    }
  }

  private void onFrame(AttachRequest frame, DeliveryRun run) {
    if (frame.getFrameCase() == AttachRequest.FrameCase.HELLO) {
      onHello(frame.getHello());
      return;
    }
    if (!helloSeen) {
      throw new StreamFault(ErrorCode.FAILED_PRECONDITION,
          "the first frame on an attach stream must be hello, got " + frame.getFrameCase());
    }
    LocalProcess p = current;
    if (p == null || !p.alive()) {
      rejectWithoutProcess(frame);
      return;
    }
    switch (frame.getFrameCase()) {
      case SEND -> onSend(p, frame.getSend(), run);
      case SPAWN -> {
        var s = frame.getSpawn();
        reply(s.getRequestId(), node.spawn(p, s.getEntry(), s.getHost(), s.getArgsList(),
            s.getMonitor(), s.getLink()).thenApply(Object::toString));
      }
      case REGISTER_NAME -> reply(frame.getRegisterName().getRequestId(),
          node.register(p, frame.getRegisterName().getName()).thenApply(v -> ""));
      case UNREGISTER_NAME -> {
        long id = frame.getUnregisterName().getRequestId();
        node.unregister(p, frame.getUnregisterName().getName()).whenComplete((removed, t) -> {
          if (id == 0) {
            return; // no reply wanted, as for every other request
          }
          Reply.Builder r = Reply.newBuilder().setRequestId(id);
          if (t != null) {
            r.setStatus(Frames.status(t));
          } else {
            r.setStatus(Frames.OK).setRemoved(removed);
          }
          out.push(AttachResponse.newBuilder().setReply(r).build());
        });
      }
      case LOOKUP_NAME -> reply(frame.getLookupName().getRequestId(),
          node.lookup(frame.getLookupName().getName()).thenApply(Object::toString));
      case MONITOR -> reply(frame.getMonitor().getRequestId(),
          node.monitor(p, frame.getMonitor().getTarget()).thenApply(v -> ""));
      case UNMONITOR -> reply(frame.getUnmonitor().getRequestId(),
          node.unmonitor(p, frame.getUnmonitor().getTarget()).thenApply(v -> ""));
      case LINK -> reply(frame.getLink().getRequestId(),
          node.link(p, frame.getLink().getTarget()).thenApply(v -> ""));
      case UNLINK -> reply(frame.getUnlink().getRequestId(),
          node.unlink(p, frame.getUnlink().getTarget()).thenApply(v -> ""));
      case SET_OPTIONS -> {
        node.setTrapLinks(p, frame.getSetOptions().getTrapLinks());
        reply(frame.getSetOptions().getRequestId(), CompletableFuture.completedFuture(""));
      }
      case TERMINATE -> reply(frame.getTerminate().getRequestId(),
          node.terminate(p, frame.getTerminate().getTarget()).thenApply(v -> ""));
      case CANCEL -> reply(frame.getCancel().getRequestId(),
          node.cancel(p, frame.getCancel().getTarget(), frame.getCancel().getReason())
              .thenApply(v -> ""));
      case EXIT -> {
        current = null;
        ExitResult result = frame.getExit().getResult();
        if (!result.hasError() && !result.hasValue()) {
          result = result.toBuilder().setValue(Payload.getDefaultInstance()).build();
        }
        node.exit(p, result);
      }
      case HELLO, BATCH, FRAME_NOT_SET -> throw new StreamFault(ErrorCode.INVALID_ARGUMENT,
          "empty frame: set exactly one field of AttachRequest.frame");
    }
  }

  private void onHello(Hello hello) {
    if (helloSeen) {
      throw new StreamFault(ErrorCode.FAILED_PRECONDITION, "hello must come once per stream");
    }
    if (hello.getProtocolVersion() != PROTOCOL_VERSION) {
      throw new StreamFault(ErrorCode.INVALID_ARGUMENT, "unsupported protocol_version "
          + hello.getProtocolVersion() + "; this node speaks " + PROTOCOL_VERSION);
    }
    if (!hello.getWorkerId().isEmpty()) {
      throw new StreamFault(ErrorCode.INVALID_ARGUMENT, "hello.worker_id is no longer accepted: worker"
          + " JVMs join the registry as nodes of their own; leave it empty");
    }
    helloSeen = true;
    try {
      assign(node.attachClient(hello.getHost(), hello.getClientName(), out), "", List.of());
    } catch (TroupeException e) {
      throw new StreamFault(e.code(), e.getMessage());
    }
  }

  /** Gives this stream its process (a client's own, or a spawned one in the node's JVM). */
  public void assign(LocalProcess process, String entry, List<Payload> args) {
    helloSeen = true; // an in-JVM process is assigned without a hello
    current = process;
    out.push(AttachResponse.newBuilder().setAttached(Attached.newBuilder()
        .setPid(process.pidText())
        .setNode(node.config().name())
        .setNodeIncarnation(node.incarnation())
        .setMaxPayloadBytes(node.config().maxPayloadBytes())
        .setAcceptsBatches(true)
        .setEntry(entry)
        .addAllArgs(args)).build());
  }

  private void onSend(LocalProcess p, Send s, DeliveryRun run) {
    CompletableFuture<Void> result;
    synchronized (this) {
      if (sendTail.isDone()) {
        result = node.send(p, s.getTo(), knownTarget(s.getTo()), s.getTopic(), s.getPayloadsList(), run);
      } else {
        if (run != null) {
          run.flush(); // this send waits behind a lookup: the messages before it go first
        }
        result = sendTail.handle((v, t) -> null)
            .thenCompose(v -> node.send(p, s.getTo(), s.getTopic(), s.getPayloadsList()));
      }
      sendTail = result;
    }
    if (s.getRequestId() != 0) {
      reply(s.getRequestId(), result.thenApply(v -> ""));
    } else if (result != Node.SENT) {
      result.exceptionally(t -> {
        LOG.debug("{}: fire-and-forget send from {} to {} failed: {}", node.label(), p.pidText(),
            s.getTo(), Frames.unwrap(t).getMessage());
        return null;
      });
    }
  }

  /** The target when {@code to} is a valid PID text, else null (a name, or an error send reports). */
  private Pid knownTarget(String to) {
    if (!Pid.looksLikePid(to)) {
      return null;
    }
    try {
      return node.target(pids.parse(to));
    } catch (IllegalArgumentException | TroupeException e) {
      return null; // send resolves it again and reports why
    }
  }

  private void rejectWithoutProcess(AttachRequest frame) {
    long id = requestId(frame);
    if (id != 0) {
      out.push(AttachResponse.newBuilder().setReply(Reply.newBuilder().setRequestId(id)
          .setStatus(Frames.status(new TroupeException(ErrorCode.FAILED_PRECONDITION,
              "this stream has no live process (it exited)"))))
          .build());
    }
  }

  private static long requestId(AttachRequest f) {
    return switch (f.getFrameCase()) {
      case SEND -> f.getSend().getRequestId();
      case SPAWN -> f.getSpawn().getRequestId();
      case REGISTER_NAME -> f.getRegisterName().getRequestId();
      case UNREGISTER_NAME -> f.getUnregisterName().getRequestId();
      case LOOKUP_NAME -> f.getLookupName().getRequestId();
      case MONITOR -> f.getMonitor().getRequestId();
      case UNMONITOR -> f.getUnmonitor().getRequestId();
      case LINK -> f.getLink().getRequestId();
      case UNLINK -> f.getUnlink().getRequestId();
      case SET_OPTIONS -> f.getSetOptions().getRequestId();
      case TERMINATE -> f.getTerminate().getRequestId();
      case CANCEL -> f.getCancel().getRequestId();
      default -> 0;
    };
  }

  private void reply(long requestId, CompletableFuture<String> result) {
    if (requestId == 0) {
      return;
    }
    result.whenComplete((pid, t) -> {
      Reply.Builder r = Reply.newBuilder().setRequestId(requestId);
      if (t != null) {
        r.setStatus(Frames.status(t));
      } else {
        r.setStatus(Frames.OK).setPid(pid);
      }
      out.push(AttachResponse.newBuilder().setReply(r).build());
    });
  }

  /** The stream ended. A process that did not say exit ends with an error, so monitors hear of it. */
  public void onClosed(String why) {
    LocalProcess p = current;
    current = null;
    if (p != null && p.alive()) {
      node.exit(p, Frames.error(ErrorKind.ERROR_KIND_CRASHED, why));
    }
  }
}
