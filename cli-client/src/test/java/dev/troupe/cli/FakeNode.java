package dev.troupe.cli;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Message;
import dev.troupe.api.TroupeException;
import dev.troupe.api.channel.Channel;
import dev.troupe.client.wire.Failures;
import dev.troupe.client.wire.Frames;
import dev.troupe.examples.echo.EchoProtocol;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * A node and its relay in memory, for the CLI's tests: attaches give links with new PIDs while it is
 * up, and fail with UNAVAILABLE while it is down; the relay does what the test tells it for each
 * request (answer as a worker, answer echo_error, stay silent, or have the node refuse the send).
 */
final class FakeNode implements EchoLink.Attacher {
  static final String WORKER = "{app:processes|0x00042}";
  /** The address the CLI attaches at, as --connect gives it. */
  static final String ADDRESS = "fake:1";
  /** The node's name: the relay's, as the CLI's default --connect finds it. */
  static final String NODE = "relay";

  private final AtomicInteger pids = new AtomicInteger();
  private final List<Map<String, Object>> sent = new CopyOnWriteArrayList<>();
  private final AtomicInteger attachAttempts = new AtomicInteger();
  private final List<Long> attemptNanos = new CopyOnWriteArrayList<>();
  private volatile boolean up = true;
  private volatile boolean relayRegistered = true;
  private volatile int maxPayloadBytes = 1 << 20;
  private volatile BiConsumer<FakeLink, Map<String, Object>> relay = FakeNode::answerAsWorker;
  private volatile FakeLink current;

  @Override
  public EchoLink attach() {
    attachAttempts.incrementAndGet();
    attemptNanos.add(System.nanoTime());
    if (!up) {
      throw new TroupeException(ErrorCode.UNAVAILABLE, "could not attach to " + ADDRESS + ": UNAVAILABLE connection refused");
    }
    FakeLink link = new FakeLink(String.format("{relay:clients|0x%05x}", pids.incrementAndGet()));
    current = link;
    return link;
  }

  /** The node's process dies (kill -9): its stream ends, and attaches fail until {@link #start()}. */
  void crash() {
    up = false;
    FakeLink l = current;
    if (l != null) {
      l.end("attach stream closed: UNAVAILABLE: Network closed for unknown reason");
    }
  }

  void start() {
    up = true;
  }

  void relayRegistered(boolean registered) {
    relayRegistered = registered;
  }

  void maxPayloadBytes(int bytes) {
    maxPayloadBytes = bytes;
  }

  /** What the relay does with each request from now on. */
  void relay(BiConsumer<FakeLink, Map<String, Object>> behaviour) {
    relay = behaviour;
  }

  /** Every request the node accepted, in order. */
  List<Map<String, Object>> sent() {
    return List.copyOf(sent);
  }

  int attachAttempts() {
    return attachAttempts.get();
  }

  /** When (System.nanoTime) each attach was attempted, the first one's included. */
  List<Long> attemptNanos() {
    return List.copyOf(attemptNanos);
  }

  FakeLink current() {
    return current;
  }

  static void answerAsWorker(FakeLink link, Map<String, Object> request) {
    link.deliver(WORKER, EchoProtocol.ECHO_RESPONSE, Map.of("data",
        String.valueOf(request.get("data")).toUpperCase(Locale.ROOT), "worker", WORKER, "id", request.get("id")));
  }

  static void silent(FakeLink link, Map<String, Object> request) {}

  /** One attach's process. */
  final class FakeLink implements EchoLink {
    private final String pid;
    private final Channel<Message> inbox = Channel.buffered(1000);
    private final CompletableFuture<String> ended = new CompletableFuture<>();
    private volatile boolean hasEnded;

    FakeLink(String pid) {
      this.pid = pid;
    }

    @Override
    public String pid() {
      return pid;
    }

    @Override
    public String node() {
      return NODE;
    }

    @Override
    public String address() {
      return ADDRESS;
    }

    @Override
    public int maxPayloadBytes() {
      return maxPayloadBytes;
    }

    @Override
    public boolean relayRegistered() {
      checkLive();
      return relayRegistered;
    }

    @Override
    public void sendEcho(Map<String, Object> payload) {
      checkLive();
      if (!relayRegistered) {
        // As it comes back over the stream: a status with the typed detail packed in an Any.
        throw Failures.fromStatus(Frames.status(Failures.nameNotRegistered("relay",
            "could not resolve 'relay' as PID or registered name")));
      }
      sent.add(payload);
      relay.accept(this, payload);
    }

    private void checkLive() {
      if (hasEnded) {
        throw new TroupeException(ErrorCode.FAILED_PRECONDITION, "process " + pid + " has ended");
      }
    }

    /** A message for this process, as its node would deliver it. */
    void deliver(String from, String topic, Map<String, Object> payload) {
      inbox.trySend(new Message(from, topic, List.of(payload)));
    }

    /** Ends the link as AttachedProcess does: ended, inbox closed, then the future. */
    void end(String reason) {
      hasEnded = true;
      inbox.close();
      ended.complete(reason);
    }

    @Override
    public Channel<Message> inbox() {
      return inbox;
    }

    @Override
    public boolean hasEnded() {
      return hasEnded;
    }

    @Override
    public CompletableFuture<String> ended() {
      return ended;
    }

    @Override
    public void close() {
      end("closed by the client");
    }
  }
}
