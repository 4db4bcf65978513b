package dev.troupe.api;

import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.ThrowingRunnable;
import java.time.Duration;
import java.util.List;

/**
 * What a process can do: the seeds' {@code process.*} API in Java form. The same interface serves a
 * process running inside a node's JVM and one attached to a node from another OS process.
 *
 * <p>Calls block the calling thread (a virtual thread in a spawned process) until the node answers,
 * and fail with {@link TroupeException} carrying a canonical code.
 */
public interface ProcessContext {

  /** This process's PID in text form, e.g. {@code {app:processes|0x00004}}. */
  String pid();

  /** The entry this process runs, e.g. {@code app:worker}; "" for an attached client. */
  String entry();

  /**
   * Sends {@code payloads} to a PID (text form) or a registered name, on {@code topic}. Returns when
   * the message is queued for a live target. Messages from this process to one receiver arrive in order.
   *
   * @throws TroupeException NOT_FOUND if the name is unknown or the process is gone; INVALID_ARGUMENT
   *     for an empty or '@' topic
   */
  void send(String to, String topic, Object... payloads);

  /** Spawns {@code entry} on {@code host} with {@code args}; returns the child's PID at once. */
  String spawn(String entry, String host, Object... args);

  /**
   * Spawns without waiting for the node's answer; the future completes with the child's PID or fails
   * with a {@link TroupeException}. For processes that keep several spawns in flight.
   */
  java.util.concurrent.CompletableFuture<String> spawnAsync(String entry, String host, boolean monitor,
      boolean link, Object... args);

  /**
   * Sends without waiting for the node's answer: the fastest way to stream messages. Order with this
   * process's other sends is kept; a failure (unknown target) is only logged by the node.
   */
  void post(String to, String topic, Object... payloads);

  /** Spawns and monitors: one EXIT arrives on {@link #events()} when the child ends, however fast. */
  String spawnMonitored(String entry, String host, Object... args);

  /** Spawns and links: if either ends with an error, the other gets LINK_DOWN. */
  String spawnLinked(String entry, String host, Object... args);

  /** Spawns, links and monitors. */
  String spawnLinkedMonitored(String entry, String host, Object... args);

  /**
   * A channel of the raw payloads sent to this process on {@code topic} (buffer 1). Calling it again
   * with the same topic returns the same channel.
   *
   * @throws TroupeException INVALID_ARGUMENT for an empty or '@' topic
   */
  Channel<Object> listen(String topic);

  /** Like {@link #listen(String)} but delivers whole messages (from, topic, payloads). */
  Channel<Message> listenMessages(String topic);

  /** Stops listening: later messages on that topic fall through to the inbox. */
  boolean unlisten(String topic);

  /** The inbox: every message no listener takes, as messages (unbuffered). */
  Channel<Message> inbox();

  /** EXIT, LINK_DOWN (when trapping links) and CANCEL events (unbuffered). */
  Channel<Event> events();

  /**
   * Monitors a PID or name.
   *
   * @throws TroupeException NOT_FOUND if it is not alive; ALREADY_EXISTS if already monitoring it
   */
  void monitor(String target);

  /** Stops monitoring; no EXIT arrives afterwards. Never fails when not monitoring. */
  void unmonitor(String target);

  /** Links to a PID or name; idempotent. NOT_FOUND if it is not alive. */
  void link(String target);

  /** Removes a link; a no-op when there is none. */
  void unlink(String target);

  /** When true, LINK_DOWN arrives on {@link #events()} instead of killing this process. */
  void setTrapLinks(boolean trapLinks);

  boolean trapLinks();

  /** Cluster-wide names. */
  NameRegistry registry();

  /** Ends a process with "process terminated". NOT_FOUND if it is not alive. */
  void terminate(String target);

  /** Sends a CANCEL event with {@code reason}; it does not stop the target. */
  void cancel(String target, String reason);

  /**
   * Runs {@code body} as a coroutine: a virtual thread sharing this process's objects (guard shared
   * state as with any threads). It is stopped when main returns; if it throws, the process fails.
   */
  Thread coroutine(ThrowingRunnable body);

  /** Blocks this coroutine for {@code duration}. */
  void sleep(Duration duration) throws InterruptedException;

  /** A channel that receives one value after {@code duration}, then reads as closed. */
  Channel<java.time.Instant> after(Duration duration);

  /** The values of {@code args} as the process received them (convenience for typed access). */
  static String string(List<Object> args, int index) {
    Object v = index < args.size() ? args.get(index) : null;
    if (!(v instanceof String s)) {
      throw new ProcessFailure("argument " + index + " must be a string, got " + v);
    }
    return s;
  }
}
