package dev.troupe.bench;

import dev.troupe.api.Message;
import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.Received;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.GrpcAttach;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A client of the Echo relay, attached where the CLI attaches: it sends {@code echo}
 * {@code {sender, data, id}} to {@code relay} and matches each {@code echo_response} to its request by
 * id. The echo and tutorial phases drive their load through it: one request at a time, or a window of
 * requests kept in flight (closed loop).
 */
final class EchoLoad implements AutoCloseable {
  /** What one closed-loop run measured; {@code lost} counts requests without a reply in time. */
  record Window(long done, long lost, Stats.Samples latency, long seconds) {
    double rate() {
      return done / (double) seconds;
    }
  }

  private final AttachedProcess client;
  private final Channel<Message> inbox;
  /** Requests in flight: id -> nanoTime sent, oldest first. */
  private final LinkedHashMap<Long, Long> sentAt = new LinkedHashMap<>();
  private long nextId;

  /** Attaches to {@code node} and waits (up to 30 s) for a process registered as {@code relay}. */
  EchoLoad(String node, String clientName) throws InterruptedException {
    this.client = GrpcAttach.attach(node, "", clientName, Duration.ofSeconds(10));
    this.inbox = client.inbox();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (client.registry().lookup("relay").isEmpty()) {
      if (System.nanoTime() > deadline) {
        client.close();
        throw new IllegalStateException("no process registered as 'relay' within 30 s");
      }
      Thread.sleep(50);
    }
  }

  /**
   * Keeps {@code inFlight} requests outstanding for {@code seconds}; one without a reply after
   * {@code lostAfter} counts as lost and is replaced. Requests still in flight at the end stay so: the
   * next run goes on with them (call {@link #drain} to start the next one with none). Replies that come
   * after the end are not counted. {@code eachSecond} runs about once a second (null: nothing).
   */
  Window inFlight(int inFlight, long seconds, Duration lostAfter, Runnable eachSecond)
      throws InterruptedException {
    Stats.Samples latency = new Stats.Samples(1 << 16);
    long start = System.nanoTime();
    long end = start + seconds * 1_000_000_000L;
    long nextSecond = start;
    long done = 0;
    long lost = 0;
    long now = start;
    while (now < end) {
      while (sentAt.size() < inFlight) {
        send();
      }
      Optional<Received<Message>> got = inbox.receive(Duration.ofMillis(20));
      now = System.nanoTime();
      Long t0 = got.isPresent() && got.get().ok() ? answered(got.get().value()) : null;
      if (t0 != null && now <= end) {
        done++;
        latency.add(now - t0);
      }
      for (var it = sentAt.entrySet().iterator(); it.hasNext(); ) {
        if (now - it.next().getValue() < lostAfter.toNanos()) {
          break;
        }
        it.remove();
        lost++;
      }
      if (eachSecond != null && now >= nextSecond) {
        eachSecond.run();
        nextSecond = now + 1_000_000_000L;
      }
    }
    return new Window(done, lost, latency, seconds);
  }

  /** Waits up to {@code max} for the replies still in flight, without counting them. */
  void drain(Duration max) throws InterruptedException {
    long until = System.nanoTime() + max.toNanos();
    while (!sentAt.isEmpty() && System.nanoTime() < until) {
      inbox.receive(Duration.ofMillis(20)).filter(Received::ok).ifPresent(r -> answered(r.value()));
    }
    sentAt.clear();
  }

  /**
   * Sends one request and waits for its reply (late replies to earlier ones are dropped).
   *
   * @return nanoseconds from send to reply, or -1 when none came within {@code timeout}
   */
  long roundTrip(Duration timeout) throws InterruptedException {
    long id = send();
    long t0 = sentAt.get(id);
    long deadline = t0 + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        sentAt.remove(id);
        return -1;
      }
      Optional<Received<Message>> r = inbox.receive(Duration.ofNanos(left));
      if (r.isEmpty()) {
        sentAt.remove(id);
        return -1;
      }
      if (r.get().ok() && answered(r.get().value()) != null && !sentAt.containsKey(id)) {
        return System.nanoTime() - t0;
      }
    }
  }

  private long send() {
    long id = ++nextId;
    sentAt.put(id, System.nanoTime());
    client.post("relay", "echo", Map.of("sender", client.pid(), "data", "hello", "id", id));
    return id;
  }

  /** The send time of the request {@code m} answers (now answered), or null if it answers none in flight. */
  private Long answered(Message m) {
    if ("echo_response".equals(m.topic()) && m.payload() instanceof Map<?, ?> resp
        && resp.get("id") instanceof Number n) {
      return sentAt.remove(n.longValue());
    }
    return null;
  }

  @Override
  public void close() {
    client.close();
  }
}
