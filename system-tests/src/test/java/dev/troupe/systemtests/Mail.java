package dev.troupe.systemtests;

import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.api.channel.Received;
import dev.troupe.client.AttachedProcess;
import java.time.Duration;
import java.util.Optional;

/** What an attached test client waits for: a message on a topic, the EXIT of a process. */
public final class Mail {
  private Mail() {}

  /** The next inbox message on {@code topic} (others are skipped), or a failure after {@code within}. */
  public static Message next(AttachedProcess client, String topic, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Optional<Received<Message>> r = left > 0 ? client.inbox().receive(Duration.ofNanos(left)) : Optional.empty();
      if (r.isEmpty() || !r.get().ok()) {
        throw new AssertionError("expected a message on '" + topic + "' to reach " + client.pid()
            + " within " + within.toMillis() + " ms, but none did");
      }
      if (topic.equals(r.get().value().topic())) {
        return r.get().value();
      }
    }
  }

  /** The next EXIT of {@code pid} on the events channel, or a failure after {@code within}. */
  public static Event exitOf(AttachedProcess client, String pid, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Optional<Received<Event>> r = left > 0 ? client.events().receive(Duration.ofNanos(left)) : Optional.empty();
      if (r.isEmpty() || !r.get().ok()) {
        throw new AssertionError("expected the EXIT of " + pid + " to reach " + client.pid() + " within "
            + within.toMillis() + " ms, but none did");
      }
      Event e = r.get().value();
      if (e.kind() == Event.Kind.EXIT && pid.equals(e.from())) {
        return e;
      }
    }
  }
}
