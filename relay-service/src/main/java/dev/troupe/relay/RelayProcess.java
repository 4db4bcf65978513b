package dev.troupe.relay;

import dev.troupe.runtime.api.Event;
import dev.troupe.runtime.api.Message;
import dev.troupe.runtime.api.ProcessContext;
import dev.troupe.runtime.api.ProcessEntry;
import dev.troupe.runtime.api.channel.Channel;
import dev.troupe.runtime.api.channel.Select;
import dev.troupe.runtime.api.channel.SelectResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay of the Echo tutorial: registers as {@code relay}, and for every {@code echo} message spawns
 * a monitored worker that answers the sender; logs each worker's exit; a stats coroutine logs counts.
 *
 * <p>Arguments (the service's input): worker entry, worker host, worker delay in ms, stats interval
 * in ms. All optional; see {@link RelaySettings}.
 */
public final class RelayProcess implements ProcessEntry {
  private static final Logger LOG = LoggerFactory.getLogger("dev.troupe.relay");

  @Override
  public Object main(ProcessContext process, List<Object> args) throws Exception {
    RelaySettings settings = RelaySettings.fromArgs(args);
    Channel<Message> inbox = process.inbox();
    Channel<Event> events = process.events();
    AtomicLong messages = new AtomicLong();
    AtomicLong spawned = new AtomicLong();

    process.registry().register("relay");
    LOG.info("{}: relay started", process.pid());

    process.coroutine(() -> {
      while (true) {
        process.sleep(Duration.ofMillis(settings.statsIntervalMs()));
        LOG.info("{}: stats messages={} workers_spawned={}", process.pid(), messages.get(), spawned.get());
      }
    });

    while (true) {
      SelectResult r = Select.select(inbox.receiveCase(), events.receiveCase());
      if (r.channel() == events) {
        Event event = (Event) r.value();
        if (event.kind() == Event.Kind.EXIT) {
          LOG.info("{}: worker exited from={} result={}", process.pid(), event.from(), describe(event));
        }
        continue;
      }
      Message msg = (Message) r.value();
      if (!"echo".equals(msg.topic())) {
        continue;
      }
      messages.incrementAndGet();
      if (!(msg.payload() instanceof Map<?, ?> echo) || !(echo.get("sender") instanceof String sender)) {
        LOG.warn("{}: expected an echo payload {{sender, data}}, but got {} from {}", process.pid(),
            msg.payload(), msg.from());
        continue;
      }
      // Spawns are pipelined: the next message is taken while the node places this worker.
      process.spawnAsync(settings.workerEntry(), settings.workerHost(), true, false, sender,
          echo.get("data"), echo.get("id"), settings.workerDelayMs()).whenComplete((pid, t) -> {
            if (t != null) {
              LOG.error("{}: spawn failed: {}", process.pid(), t.getMessage());
            } else {
              spawned.incrementAndGet();
            }
          });
    }
  }

  private static String describe(Event e) {
    return e.result().isError() ? "error: " + e.result().error() : "value: " + e.result().value();
  }
}
