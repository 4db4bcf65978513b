package dev.troupe.cli;

import dev.troupe.runtime.api.Message;
import dev.troupe.runtime.api.ProcessContext;
import dev.troupe.runtime.api.TroupeException;
import dev.troupe.runtime.api.channel.Channel;
import dev.troupe.runtime.api.channel.Select;
import dev.troupe.runtime.api.channel.SelectResult;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The Echo client of the tutorial: waits for {@code relay}, then sends each line to it and prints the
 * upper-cased reply with the worker's PID, {@code timeout}, or {@code error: relay not available}.
 * Each request carries an id that the worker echoes back, so a late reply to an earlier line is
 * dropped instead of being printed as the answer to a later one.
 */
public final class EchoSession {
  /**
   * @param relayWait how long to wait for {@code relay} to be registered (default 5 s)
   * @param replyTimeout how long to wait for each reply (default 2 s)
   * @param pollInterval how often to look {@code relay} up while waiting for it (default 50 ms)
   */
  public record Settings(Duration relayWait, Duration replyTimeout, Duration pollInterval) {
    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ofMillis(50));
    }
  }

  private final ProcessContext process;
  private final Settings settings;
  private final Style style;
  private final PrintStream out;
  private long nextId;

  public EchoSession(ProcessContext process, Settings settings, Style style, PrintStream out) {
    this.process = process;
    this.settings = settings;
    this.style = style;
    this.out = out;
  }

  /** Runs until an empty line or end of input. @return the exit code */
  public int run(LineSource lines) throws InterruptedException {
    Channel<Message> inbox = process.inbox();
    if (!awaitRelay()) {
      out.println(style.dim("relay not ready: nothing registered as 'relay' within "
          + settings.relayWait().toMillis() + " ms; is the topology up (scripts/troupe status)?"));
      out.flush();
      return 1;
    }
    out.println(style.cyan("Echo Client"));
    out.println(style.dim("Type messages to echo. Ctrl+C to exit.\n"));
    out.flush();
    while (true) {
      String input = lines.readLine(style.yellow("> "));
      if (input == null || input.isEmpty()) {
        break;
      }
      long id = ++nextId;
      try {
        process.send("relay", "echo", Map.of("sender", process.pid(), "data", input, "id", id));
      } catch (TroupeException e) {
        out.println(style.dim("  error: relay not available"));
        out.flush();
        continue;
      }
      awaitReply(inbox, id);
    }
    out.println("\nGoodbye!");
    out.flush();
    return 0;
  }

  private boolean awaitRelay() throws InterruptedException {
    long deadline = System.nanoTime() + settings.relayWait().toNanos();
    while (true) {
      Optional<String> relay = process.registry().lookup("relay");
      if (relay.isPresent()) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      process.sleep(settings.pollInterval());
    }
  }

  private void awaitReply(Channel<Message> inbox, long id) throws InterruptedException {
    Channel<Instant> timeout = process.after(settings.replyTimeout());
    while (true) {
      SelectResult r = Select.select(inbox.receiveCase(), timeout.receiveCase());
      if (r.channel() == timeout) {
        out.println(style.dim("  timeout"));
        out.flush();
        return;
      }
      Message msg = (Message) r.value();
      if (!"echo_response".equals(msg.topic()) || !(msg.payload() instanceof Map<?, ?> resp)) {
        continue;
      }
      if (!(resp.get("id") instanceof Number n) || n.longValue() != id) {
        continue; // a late reply to an earlier line: never shown as this line's answer
      }
      out.println(style.green("  " + resp.get("data")));
      out.println(style.dim("  from worker: " + resp.get("worker")));
      out.flush();
      return;
    }
  }
}
