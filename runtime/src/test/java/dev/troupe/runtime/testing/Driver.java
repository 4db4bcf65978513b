package dev.troupe.runtime.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.api.channel.Channel;
import dev.troupe.client.AttachedProcess;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Drives a test from a client process: waits on its channels with deadlines, and scripts
 * {@code test:agent} processes (see {@link Entries}) whose replies and forwarded events come back to
 * the client on topics "reply" and "event".
 */
public final class Driver {
  /** How long any expected message or event may take. Generous: CI machines are slow. */
  public static final Duration WAIT = Duration.ofSeconds(10);

  private final AttachedProcess client;
  private final Channel<Message> replies;
  private final Channel<Message> agentEvents;
  private final Map<String, ArrayDeque<Map<String, Object>>> repliesBySender = new HashMap<>();
  private final Map<String, ArrayDeque<Map<String, Object>>> eventsBySender = new HashMap<>();

  public Driver(AttachedProcess client) {
    this.client = client;
    // Listeners first: an agent's reply must never land in the client's inbox.
    this.replies = client.listenMessages("reply");
    this.agentEvents = client.listenMessages("event");
  }

  public AttachedProcess client() {
    return client;
  }

  /** Spawns an agent on {@code host}, monitored by the client when {@code monitored}. */
  public Agent spawnAgent(String host, boolean forwardEvents, boolean monitored)
      throws InterruptedException {
    String pid = monitored
        ? client.spawnMonitored("test:agent", host, client.pid(), forwardEvents)
        : client.spawn("test:agent", host, client.pid(), forwardEvents);
    Agent a = new Agent(this, pid);
    a.ok("ping"); // it runs and its replies reach us
    return a;
  }

  /** The client's next event, or a failed test after {@link #WAIT}. */
  public Event nextEvent() throws InterruptedException {
    var r = client.events().receive(WAIT);
    if (r.isEmpty()) {
      fail("expected an event on the client's events channel within " + WAIT
          + ", but none came; inbox holds " + drain(client.inbox()) + "; client ended: "
          + client.hasEnded() + " " + client.failure());
    }
    return r.get().value();
  }

  /** The client's next inbox message, or a failed test after {@link #WAIT}. */
  public Message nextInbox() throws InterruptedException {
    var r = client.inbox().receive(WAIT);
    if (r.isEmpty()) {
      fail("expected a message in the client's inbox within " + WAIT + ", but none came; events: "
          + drain(client.events()) + "; client ended: " + client.hasEnded() + " " + client.failure());
    }
    return r.get().value();
  }

  /** What {@code channel} still has to give (for failure messages). */
  private static <T> List<T> drain(Channel<T> channel) throws InterruptedException {
    List<T> out = new ArrayList<>();
    for (var r = channel.receive(Duration.ofMillis(200)); r.isPresent() && r.get().ok();
        r = channel.receive(Duration.ofMillis(200))) {
      out.add(r.get().value());
    }
    return out;
  }

  /** The next value on {@code channel}, or a failed test after {@link #WAIT}. */
  public static <T> T receive(Channel<T> channel, String what) throws InterruptedException {
    var r = channel.receive(WAIT);
    if (r.isEmpty()) {
      fail("expected " + what + " within " + WAIT + ", but none came");
    }
    assertThat(r.get().ok()).as("channel still open while waiting for " + what).isTrue();
    return r.get().value();
  }

  /**
   * Proves that no further event is on its way to the client from {@code host}: a probe spawned there
   * exits at once, and its EXIT must be the very next event. Events of one node to one process keep
   * their order, so anything sent before the probe ran would come first.
   */
  public void expectNoOtherEventFrom(String host) throws InterruptedException {
    String probe = client.spawnMonitored("test:return", host, "probe");
    Event next = nextEvent();
    assertThat(next.from()).as("next event should be the probe's EXIT, got " + next).isEqualTo(probe);
    assertThat(next.kind()).isEqualTo(Event.Kind.EXIT);
  }

  Map<String, Object> replyFrom(String agent) throws InterruptedException {
    return takeFrom(agent, replies, repliesBySender, "a reply");
  }

  Map<String, Object> eventFrom(String agent) throws InterruptedException {
    return takeFrom(agent, agentEvents, eventsBySender, "a forwarded event");
  }

  Optional<Map<String, Object>> pollEventFrom(String agent, Duration wait) throws InterruptedException {
    ArrayDeque<Map<String, Object>> q = eventsBySender.computeIfAbsent(agent, k -> new ArrayDeque<>());
    long deadline = System.nanoTime() + wait.toNanos();
    while (q.isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Optional.empty();
      }
      var r = agentEvents.receive(Duration.ofNanos(left));
      if (r.isEmpty()) {
        return Optional.empty();
      }
      file(r.get().value(), eventsBySender);
    }
    return Optional.of(q.poll());
  }

  @SuppressWarnings("unchecked")
  private static void file(Message m, Map<String, ArrayDeque<Map<String, Object>>> by) {
    by.computeIfAbsent(m.from(), k -> new ArrayDeque<>()).add((Map<String, Object>) m.payload());
  }

  private Map<String, Object> takeFrom(String agent, Channel<Message> ch,
      Map<String, ArrayDeque<Map<String, Object>>> by, String what) throws InterruptedException {
    ArrayDeque<Map<String, Object>> q = by.computeIfAbsent(agent, k -> new ArrayDeque<>());
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (q.isEmpty()) {
      long left = deadline - System.nanoTime();
      var r = left <= 0 ? Optional.<dev.troupe.api.channel.Received<Message>>empty()
          : ch.receive(Duration.ofNanos(left));
      if (r.isEmpty()) {
        fail("expected " + what + " from agent " + agent + " within " + WAIT + ", but none came");
      }
      file(r.get().value(), by);
    }
    return q.poll();
  }

  /** Builds a command map from key, value pairs. */
  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** A scripted {@code test:agent} process. */
  public static final class Agent {
    private final Driver driver;
    private final String pid;

    Agent(Driver driver, String pid) {
      this.driver = driver;
      this.pid = pid;
    }

    public String pid() {
      return pid;
    }

    /** Runs {@code op} with key, value arguments; returns the whole reply. */
    public Map<String, Object> call(String op, Object... kv) throws InterruptedException {
      driver.client.send(pid, op, map(kv));
      Map<String, Object> reply = driver.replyFrom(pid);
      assertThat(reply.get("op")).as("reply order of agent " + pid).isEqualTo(op);
      return reply;
    }

    /** Starts {@code op} without waiting; collect the outcome with {@link #reply()}. */
    public void start(String op, Object... kv) {
      driver.client.send(pid, op, map(kv));
    }

    /** The reply to an op begun with {@link #start}. */
    public Map<String, Object> reply() throws InterruptedException {
      return driver.replyFrom(pid);
    }

    /** Runs {@code op}, expecting success; returns its value. */
    public Object ok(String op, Object... kv) throws InterruptedException {
      Map<String, Object> r = call(op, kv);
      assertThat(r.get("ok")).as(op + " on agent " + pid + " should succeed: " + r).isEqualTo(true);
      return r.get("value");
    }

    /** Runs {@code op}, expecting failure; returns {code, message}. */
    public Map<String, Object> fails(String op, Object... kv) throws InterruptedException {
      Map<String, Object> r = call(op, kv);
      assertThat(r.get("ok")).as(op + " on agent " + pid + " should fail: " + r).isEqualTo(false);
      return r;
    }

    /** Tells the agent to return {@code value} from main. */
    public void exit(Object value) {
      driver.client.send(pid, "exit", map("value", value));
    }

    /** Tells the agent to fail with {@code error}. */
    public void fail(String error) {
      driver.client.send(pid, "fail", map("error", error));
    }

    /** The next event this agent forwarded (agents spawned with forwardEvents). */
    public Map<String, Object> nextEvent() throws InterruptedException {
      return driver.eventFrom(pid);
    }

    /** The next forwarded event if one comes within {@code wait}. */
    public Optional<Map<String, Object>> pollEvent(Duration wait) throws InterruptedException {
      return driver.pollEventFrom(pid, wait);
    }

    @Override
    public String toString() {
      return "agent " + pid;
    }
  }
}
