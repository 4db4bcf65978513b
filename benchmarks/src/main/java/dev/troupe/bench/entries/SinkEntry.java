package dev.troupe.bench.entries;

import dev.troupe.api.Message;
import dev.troupe.api.ProcessContext;
import dev.troupe.api.ProcessEntry;
import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.Received;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * {@code bench:sink}: counts the messages it receives and acknowledges every {@value #ACK_EVERY}th to
 * its sender ({@code ack}, a credit for the sender's window); on {@code end} it tells the sender how
 * many arrived since the last {@code end}; {@code stop} (or 5 minutes of silence) ends it.
 */
public final class SinkEntry implements ProcessEntry {
  public static final int ACK_EVERY = 1000;

  @Override
  public Object main(ProcessContext p, List<Object> args) throws Exception {
    Channel<Message> inbox = p.inbox();
    long count = 0;
    while (true) {
      Optional<Received<Message>> r = inbox.receive(Duration.ofMinutes(5));
      if (r.isEmpty() || !r.get().ok()) {
        return count;
      }
      Message m = r.get().value();
      switch (m.topic()) {
        case "end" -> {
          Posting.post(p, m.from(), "done", count);
          count = 0;
        }
        case "stop" -> {
          return count;
        }
        default -> {
          if (++count % ACK_EVERY == 0) {
            Posting.post(p, m.from(), "ack", count);
          }
        }
      }
    }
  }
}
