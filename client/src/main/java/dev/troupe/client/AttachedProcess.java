package dev.troupe.client;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.api.NameRegistry;
import dev.troupe.api.ProcessContext;
import dev.troupe.api.TroupeException;
import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.CoroutineScope;
import dev.troupe.api.channel.ThrowingRunnable;
import dev.troupe.api.channel.Time;
import dev.troupe.client.wire.Arrival;
import dev.troupe.client.wire.Frames;
import dev.troupe.client.wire.PayloadCodec;
import dev.troupe.proto.common.v1.ErrorKind;
import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.common.v1.ProcessError;
import dev.troupe.proto.common.v1.ProcessEvent;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.Attached;
import dev.troupe.proto.node.v1.Cancel;
import dev.troupe.proto.node.v1.Delivery;
import dev.troupe.proto.node.v1.Exit;
import dev.troupe.proto.node.v1.Link;
import dev.troupe.proto.node.v1.LookupName;
import dev.troupe.proto.node.v1.Monitor;
import dev.troupe.proto.node.v1.RegisterName;
import dev.troupe.proto.node.v1.Reply;
import dev.troupe.proto.node.v1.Send;
import dev.troupe.proto.node.v1.SetOptions;
import dev.troupe.proto.node.v1.Spawn;
import dev.troupe.proto.node.v1.Terminate;
import dev.troupe.proto.node.v1.Unlink;
import dev.troupe.proto.node.v1.Unmonitor;
import dev.troupe.proto.node.v1.UnregisterName;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongFunction;

/**
 * A process as its own code sees it, speaking the attach protocol to its node. Used both for processes
 * in a node's JVM (over a direct link) and for processes in other OS processes (over gRPC).
 */
public final class AttachedProcess implements ProcessContext, AutoCloseable {
  private final AttachConnection conn;
  private final String pid;
  /** This process's PID as its frames carry it: set on a worker JVM's shared stream only. */
  private final String node;
  private final int maxPayloadBytes;
  private final String entry;
  private final List<Object> args;
  private final Mailbox mailbox = new Mailbox();
  private final CoroutineScope coroutines;
  private final AtomicBoolean ended = new AtomicBoolean();
  private final CompletableFuture<String> endedBy = new CompletableFuture<>();
  private volatile boolean trapLinks;
  private volatile Thread mainThread;
  private volatile String failure;

  AttachedProcess(AttachConnection conn, Attached attached) {
    this.conn = conn;
    this.pid = attached.getPid();
    this.node = attached.getNode();
    // A node older than the field sends 0: it then has the documented default limit.
    this.maxPayloadBytes = attached.getMaxPayloadBytes() > 0 ? attached.getMaxPayloadBytes()
        : PayloadCodec.DEFAULT_MAX_PAYLOAD_BYTES;
    this.entry = attached.getEntry();
    this.args = PayloadCodec.decodeAll(attached.getArgsList());
    this.coroutines = new CoroutineScope(pid, this::coroutineFailed);
  }

  @Override
  public String pid() {
    return pid;
  }

  @Override
  public String entry() {
    return entry;
  }

  /** The name of the node that serves this process (e.g. "registry"). */
  public String node() {
    return node;
  }

  /**
   * The most bytes the payloads of one send or spawn may take on this process's node: more is refused
   * with RESOURCE_EXHAUSTED. {@link PayloadCodec#encodedSize} measures a message the same way.
   */
  public int maxPayloadBytes() {
    return maxPayloadBytes;
  }

  /** The spawn arguments. */
  public List<Object> args() {
    return args;
  }

  // ---------------------------------------------------------------- requests

  private AttachRequest.Builder frame() {
    return AttachRequest.newBuilder();
  }

  private Reply call(LongFunction<AttachRequest> build) {
    CompletableFuture<Reply> reply = callAsync(build);
    try {
      return reply.get();
    } catch (InterruptedException e) {
      reply.cancel(false);
      Thread.currentThread().interrupt();
      throw new TroupeException(ErrorCode.CANCELLED, "interrupted while waiting for the node");
    } catch (ExecutionException e) {
      Throwable c = Frames.unwrap(e);
      throw c instanceof TroupeException te ? te : new TroupeException(ErrorCode.INTERNAL, c.toString());
    }
  }

  /**
   * Sends a request without waiting: the future completes with the node's reply, or fails with a
   * {@link TroupeException} (the node's error, or DEADLINE_EXCEEDED after the request timeout).
   */
  private CompletableFuture<Reply> callAsync(LongFunction<AttachRequest> build) {
    if (ended.get()) {
      return CompletableFuture.failedFuture(
          new TroupeException(ErrorCode.FAILED_PRECONDITION, "process " + pid + " has ended"));
    }
    long id = conn.nextRequestId();
    CompletableFuture<Reply> reply = conn.expect(id);
    conn.send(build.apply(id));
    return Deadlines.orTimeout(reply, conn.requestTimeout())
        .handle((r, t) -> {
          if (t != null) {
            conn.forget(id);
            Throwable c = Frames.unwrap(t);
            if (c instanceof TimeoutException) {
              throw new TroupeException(ErrorCode.DEADLINE_EXCEEDED,
                  "the node did not answer within " + conn.requestTimeout());
            }
            throw c instanceof TroupeException te ? te : new TroupeException(ErrorCode.UNAVAILABLE, c.toString());
          }
          if (r.getStatus().getCode() != 0) {
            throw Frames.exception(r.getStatus());
          }
          return r;
        });
  }

  @Override
  public void send(String to, String topic, Object... payloads) {
    var encoded = PayloadCodec.encodeAll(payloads);
    call(id -> frame().setSend(Send.newBuilder()
        .setRequestId(id).setTo(to).setTopic(topic).addAllPayloads(encoded)).build());
  }

  /**
   * Sends without waiting for the node's answer: the fastest way to stream messages. Order with this
   * process's other sends is kept; a failure (unknown target) is only logged by the node.
   */
  @Override
  public void post(String to, String topic, Object... payloads) {
    var encoded = PayloadCodec.encodeAll(payloads);
    conn.send(frame().setSend(Send.newBuilder()
        .setTo(to).setTopic(topic).addAllPayloads(encoded)).build());
  }

  private String spawnWith(String entryId, String host, boolean monitor, boolean link, Object[] a) {
    var encoded = PayloadCodec.encodeAll(a);
    return call(id -> frame().setSpawn(Spawn.newBuilder()
        .setRequestId(id).setEntry(entryId).setHost(host).addAllArgs(encoded)
        .setMonitor(monitor).setLink(link)).build()).getPid();
  }

  /**
   * Spawns without waiting for the node: the future completes with the child's PID. Lets a process
   * that spawns per message (the Echo relay) keep several spawns in flight.
   */
  @Override
  public CompletableFuture<String> spawnAsync(String entryId, String host, boolean monitor, boolean link,
      Object... a) {
    var encoded = PayloadCodec.encodeAll(a);
    return callAsync(id -> frame().setSpawn(Spawn.newBuilder()
        .setRequestId(id).setEntry(entryId).setHost(host).addAllArgs(encoded)
        .setMonitor(monitor).setLink(link)).build()).thenApply(Reply::getPid);
  }

  @Override
  public String spawn(String entryId, String host, Object... a) {
    return spawnWith(entryId, host, false, false, a);
  }

  @Override
  public String spawnMonitored(String entryId, String host, Object... a) {
    return spawnWith(entryId, host, true, false, a);
  }

  @Override
  public String spawnLinked(String entryId, String host, Object... a) {
    return spawnWith(entryId, host, false, true, a);
  }

  @Override
  public String spawnLinkedMonitored(String entryId, String host, Object... a) {
    return spawnWith(entryId, host, true, true, a);
  }

  @Override
  public Channel<Object> listen(String topic) {
    return mailbox.listen(topic, false);
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Channel<Message> listenMessages(String topic) {
    return (Channel) mailbox.listen(topic, true);
  }

  @Override
  public boolean unlisten(String topic) {
    return mailbox.unlisten(topic);
  }

  @Override
  public Channel<Message> inbox() {
    return mailbox.inbox();
  }

  @Override
  public Channel<Event> events() {
    return mailbox.events();
  }

  @Override
  public void monitor(String target) {
    call(id -> frame().setMonitor(Monitor.newBuilder()
        .setRequestId(id).setTarget(target)).build());
  }

  @Override
  public void unmonitor(String target) {
    call(id -> frame().setUnmonitor(Unmonitor.newBuilder()
        .setRequestId(id).setTarget(target)).build());
  }

  @Override
  public void link(String target) {
    call(id -> frame().setLink(Link.newBuilder()
        .setRequestId(id).setTarget(target)).build());
  }

  @Override
  public void unlink(String target) {
    call(id -> frame().setUnlink(Unlink.newBuilder()
        .setRequestId(id).setTarget(target)).build());
  }

  @Override
  public void setTrapLinks(boolean trap) {
    call(id -> frame().setSetOptions(SetOptions.newBuilder()
        .setRequestId(id).setTrapLinks(trap)).build());
    this.trapLinks = trap;
  }

  @Override
  public boolean trapLinks() {
    return trapLinks;
  }

  @Override
  public NameRegistry registry() {
    return registry;
  }

  private final NameRegistry registry = new NameRegistry() {
    @Override
    public void register(String name) {
      call(id -> frame().setRegisterName(RegisterName.newBuilder()
          .setRequestId(id).setName(name)).build());
    }

    @Override
    public Optional<String> lookup(String name) {
      try {
        return Optional.of(call(id -> frame().setLookupName(LookupName.newBuilder()
            .setRequestId(id).setName(name)).build()).getPid());
      } catch (TroupeException e) {
        if (e.code() == ErrorCode.NOT_FOUND) {
          return Optional.empty();
        }
        throw e;
      }
    }

    @Override
    public boolean unregister(String name) {
      return call(id -> frame().setUnregisterName(UnregisterName.newBuilder()
          .setRequestId(id).setName(name)).build()).getRemoved();
    }
  };

  @Override
  public void terminate(String target) {
    call(id -> frame().setTerminate(Terminate.newBuilder()
        .setRequestId(id).setTarget(target)).build());
  }

  @Override
  public void cancel(String target, String reason) {
    call(id -> frame().setCancel(Cancel.newBuilder()
        .setRequestId(id).setTarget(target).setReason(reason)).build());
  }

  @Override
  public Thread coroutine(ThrowingRunnable body) {
    return coroutines.spawn(body);
  }

  @Override
  public void sleep(Duration duration) throws InterruptedException {
    Time.sleep(duration);
  }

  @Override
  public Channel<Instant> after(Duration duration) {
    return Time.after(duration);
  }

  // ---------------------------------------------------------------- inbound

  void deliver(Delivery d) {
    deliver(d.getFrom(), d.getTopic(), d.getPayloadsList());
  }

  void deliver(String from, String topic, java.util.List<dev.troupe.proto.common.v1.Payload> payloads) {
    mailbox.add(new Message(from, topic, PayloadCodec.decodeAll(payloads)));
  }

  void deliverAll(java.util.List<Arrival> arrivals) {
    Message[] messages = new Message[arrivals.size()];
    for (int i = 0; i < messages.length; i++) {
      Arrival a = arrivals.get(i);
      messages[i] = new Message(a.from(), a.topic(), PayloadCodec.decodeAll(a.payloads()));
    }
    mailbox.addAll(messages);
  }

  int queued() {
    return mailbox.queued();
  }

  void event(ProcessEvent e) {
    mailbox.add(EventMapper.toEvent(e));
  }

  // ---------------------------------------------------------------- ending

  /** Records the thread running main, so that a termination can interrupt it. */
  public void mainThread(Thread t) {
    this.mainThread = t;
  }

  /**
   * Whether the process has ended (by itself or by its node), or cannot go on because its stream has
   * closed. The latter comes first: a request that fails because the stream closed fails before the
   * stream's end reaches its processes, and whoever sees that failure must find the process ended,
   * not take it for a refusal by a live node (the Echo CLI then sends the line again once re-attached).
   */
  public boolean hasEnded() {
    return ended.get() || conn.isClosed();
  }

  /** Completes with the reason when the process ends. */
  public CompletableFuture<String> ended() {
    return endedBy;
  }

  /** Why the node ended this process or a coroutine failed it; null while none did. */
  public String failure() {
    return failure;
  }

  /** Ends the process with {@code result}: tells the node (once) and stops the coroutines. */
  public void exit(ExitResult result) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    try {
      conn.send(frame().setExit(Exit.newBuilder().setResult(result)).build());
    } catch (TroupeException ignored) {
      // The stream is gone: the node has already reported this process as crashed.
    }
    conn.finished(this);
    stop();
    endedBy.complete(result.hasError() ? result.getError().getMessage() : "normal");
  }

  /** Ends normally with {@code value} (for attached clients: "I am done"). */
  public void exit(Object value) {
    exit(ExitResult.newBuilder().setValue(PayloadCodec.encode(value)).build());
  }

  /** How long {@link #close()} waits at most for the node to have read everything sent before it. */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  /**
   * An attached client's normal end: exits with no value and closes the stream, then waits (at most
   * {@link #CLOSE_TIMEOUT}) until the node has read everything sent before: what was posted is not
   * lost when the program exits right after.
   */
  @Override
  public void close() {
    exit((Object) null);
    conn.halfClose();
    conn.awaitEnd(CLOSE_TIMEOUT);
  }

  void terminatedByNode(String reason) {
    failure = reason;
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    stop();
    Thread t = mainThread;
    if (t != null) {
      t.interrupt();
    }
    endedBy.complete(reason);
  }

  private void coroutineFailed(Throwable t) {
    failure = "coroutine failed: " + t;
    exit(ExitResult.newBuilder().setError(ProcessError.newBuilder()
        .setKind(ErrorKind.ERROR_KIND_FAILED).setMessage(String.valueOf(t.getMessage()))).build());
    Thread m = mainThread;
    if (m != null) {
      m.interrupt();
    }
  }

  private void stop() {
    mailbox.close();
    if (Thread.currentThread() != mainThread || coroutines.liveCount() > 0) {
      Thread.ofVirtual().start(coroutines::close);
    }
  }

  @Override
  public String toString() {
    return pid;
  }
}
