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
 * {@code bench:echo}: answers every message with its payload on topic {@code pong}, fire-and-forget;
 * {@code stop} (or 5 minutes of silence) ends it.
 */
public final class EchoEntry implements ProcessEntry {
  @Override
  public Object main(ProcessContext p, List<Object> args) throws Exception {
    Channel<Message> inbox = p.inbox();
    while (true) {
      Optional<Received<Message>> r = inbox.receive(Duration.ofMinutes(5));
      if (r.isEmpty() || !r.get().ok()) {
        return 0;
      }
      Message m = r.get().value();
      if ("stop".equals(m.topic())) {
        return 0;
      }
      Posting.post(p, m.from(), "pong", m.payload());
    }
  }
}
