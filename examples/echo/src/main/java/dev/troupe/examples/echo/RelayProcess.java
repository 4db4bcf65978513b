package dev.troupe.examples.echo;

import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.api.ProcessContext;
import dev.troupe.api.ProcessEntry;
import dev.troupe.api.TroupeException;
import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.Select;
import dev.troupe.api.channel.SelectResult;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay of the Echo tutorial: registers as {@code relay}, and for every {@code echo} message spawns
 * a monitored worker that answers the sender; when the worker cannot be started (all worker JVMs busy,
 * the entry unknown, the launcher gone), sends the sender {@code echo_error} {@code {id, reason}}
 * instead; logs each worker's exit; a stats coroutine logs counts.
 *
 * <p>Arguments (the service's input): worker entry, worker host, worker delay in ms, stats interval
 * in ms. All optional; see {@link RelaySettings}.
 */
public final class RelayProcess implements ProcessEntry {
  private static final Logger LOG = LoggerFactory.getLogger("dev.troupe.relay");
  /**
   * Spawn failures waiting for the relay's loop to tell their senders; more are logged, not told (only
   * a loop stuck for that many failures could get there).
   */
  static final int MAX_UNTOLD_FAILURES = 1024;

  private record FailedSpawn(String sender, Object id, String reason) {}

  @Override
  public Object main(ProcessContext process, List<Object> args) throws Exception {
    RelaySettings settings = RelaySettings.fromArgs(args);
    Channel<Message> inbox = process.inbox();
    Channel<Event> events = process.events();
    AtomicLong messages = new AtomicLong();
    AtomicLong spawned = new AtomicLong();
    Channel<FailedSpawn> failedSpawns = Channel.buffered(MAX_UNTOLD_FAILURES);

    process.registry().register(EchoProtocol.RELAY);
    LOG.info("{}: relay started", process.pid());

    process.coroutine(() -> {
      while (true) {
        process.sleep(Duration.ofMillis(settings.statsIntervalMs()));
        LOG.info("{}: stats messages={} workers_spawned={}", process.pid(), messages.get(), spawned.get());
      }
    });

    while (true) {
      SelectResult r = Select.select(inbox.receiveCase(), events.receiveCase(), failedSpawns.receiveCase());
      if (r.channel() == failedSpawns) {
        tellSender(process, (FailedSpawn) r.value());
        continue;
      }
      if (r.channel() == events) {
        Event event = (Event) r.value();
        if (event.kind() == Event.Kind.EXIT) {
          LOG.debug("{}: worker exited from={} result={}", process.pid(), event.from(), describe(event));
        }
        continue;
      }
      Message msg = (Message) r.value();
      if (!EchoProtocol.ECHO.equals(msg.topic())) {
        continue;
      }
      messages.incrementAndGet();
      if (!(msg.payload() instanceof Map<?, ?> echo) || !(echo.get("sender") instanceof String sender)) {
        LOG.warn("{}: expected an echo payload {{sender, data}}, but got {} from {}", process.pid(),
            msg.payload(), msg.from());
        continue;
      }
      // Spawns are pipelined: the next message is taken while the node places this worker. A failure
      // comes back to this loop, which tells the sender at once instead of leaving it to its timeout.
      Object id = echo.get("id");
      process.spawnAsync(settings.workerEntry(), settings.workerHost(), true, false, sender,
          echo.get("data"), id, settings.workerDelayMs()).whenComplete((pid, t) -> {
            if (t == null) {
              spawned.incrementAndGet();
            } else if (dev.troupe.client.wire.Failures.outcomeUnknown(t)) {
              // Its worker JVM died before answering: the worker may have run and answered, so no
              // echo_error (it could follow the answer); the sender's own timeout covers the other case.
              LOG.info("{}: spawn for {} has no known outcome ({}); not told", process.pid(), sender, reason(t));
            } else if (!failedSpawns.trySend(new FailedSpawn(sender, id, reason(t)))) {
              LOG.error("{}: spawn for {} failed ({}), and {} failures already wait to be told: not told",
                  process.pid(), sender, reason(t), MAX_UNTOLD_FAILURES);
            }
          });
    }
  }

  /** Sends {@code echo_error} {id, reason} to the sender of a message whose worker could not start. */
  private static void tellSender(ProcessContext process, FailedSpawn f) {
    LOG.warn("{}: spawn for {} failed: {}; sent it echo_error", process.pid(), f.sender(), f.reason());
    Map<String, Object> error = new HashMap<>();
    error.put("reason", f.reason());
    if (f.id() != null) {
      error.put("id", f.id());
    }
    try {
      process.send(f.sender(), EchoProtocol.ECHO_ERROR, error);
    } catch (TroupeException e) {
      LOG.info("{}: could not tell {} that its spawn failed: {}", process.pid(), f.sender(), e.getMessage());
    }
  }

  /** The failure's code and message, e.g. "RESOURCE_EXHAUSTED: all 64 worker JVMs are busy ...". */
  private static String reason(Throwable t) {
    Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    return c instanceof TroupeException te ? te.code() + ": " + te.getMessage() : String.valueOf(c);
  }

  private static String describe(Event e) {
    return e.result().isError() ? "error: " + e.result().error() : "value: " + e.result().value();
  }
}
