package dev.troupe.cli;

import dev.troupe.api.Message;
import dev.troupe.api.TroupeException;
import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.Select;
import dev.troupe.api.channel.SelectResult;
import dev.troupe.api.channel.Time;
import dev.troupe.examples.echo.EchoProtocol;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The Echo client of the tutorial: waits for {@code relay}, then sends each line to it and prints the
 * upper-cased reply with the worker's PID; or {@code timeout}; or {@code error: ...} saying what went
 * wrong (the line too long for the node, the relay not registered, no worker available, ...).
 *
 * <p>Each request carries an id that the worker (or the relay, in {@code echo_error}) echoes back, so a
 * late reply to an earlier line is dropped instead of being printed as the answer to a later one.
 *
 * <p>When its node restarts, the {@link NodeConnection} attaches again and the session goes on with
 * the new process. No line it has read is lost: a line typed while it re-attaches waits and is sent
 * once attached; a line whose answer was on its way to the old process is sent again from the new
 * one (the relay may then see it twice; only one answer is printed). If re-attaching gives up, the line
 * in hand gets an error and the session ends with exit code 1.
 */
public final class EchoSession {
  /**
   * @param relayWait how long to wait for {@code relay} to be registered, at start and after a
   *     re-attach (default 5 s)
   * @param replyTimeout how long to wait for each reply (default 2 s)
   * @param pollInterval how often to look {@code relay} up while waiting for it (default 50 ms)
   */
  public record Settings(Duration relayWait, Duration replyTimeout, Duration pollInterval) {
    public static final Duration DEFAULT_RELAY_WAIT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(50);

    public static Settings defaults() {
      return new Settings(DEFAULT_RELAY_WAIT, DEFAULT_REPLY_TIMEOUT, DEFAULT_POLL_INTERVAL);
    }
  }

  /** The banner's last line: every way to leave works, so it names them all. */
  static final String HOW_TO_LEAVE = "Type messages to echo. An empty line, Ctrl+D or Ctrl+C exits.";

  /**
   * The banner's second line: where the CLI is attached and as which PID, e.g. {@code Attached to node
   * relay at 127.0.0.1:7402 as {relay:clients|0x00003}.}: the node whose restart the CLI will notice.
   */
  static String attachedTo(EchoLink link) {
    return "Attached to " + link.where() + " as " + link.pid() + ".";
  }

  private enum Delivery { ANSWERED, FAILED, LINK_ENDED }

  private final NodeConnection connection;
  private final Settings settings;
  private final Style style;
  private final PrintStream out;
  private final SessionTally tally = new SessionTally();
  private EchoLink relayCheckedOn;
  private long nextId;

  public EchoSession(NodeConnection connection, Settings settings, Style style, PrintStream out) {
    this.connection = connection;
    this.settings = settings;
    this.style = style;
    this.out = out;
  }

  /** Runs until an empty line, the end of input, or the connection's end. @return the exit code */
  public int run(LineSource source) throws InterruptedException {
    while (relayCheckedOn == null) {
      EchoLink first = connection.awaitLink();
      if (first == null) {
        return SessionTally.FAILED; // re-attaching gave up; the connection's listener said why
      }
      if (awaitRelay(first)) {
        relayCheckedOn = first;
      } else if (!first.hasEnded()) {
        print(style.dim("relay not ready: nothing registered as 'relay' within "
            + settings.relayWait().toMillis() + " ms; is the topology up (scripts/troupe status)?"));
        return SessionTally.FAILED;
      }
    }
    print(style.cyan("Echo Client"));
    print(style.dim(attachedTo(relayCheckedOn)));
    print(style.dim(HOW_TO_LEAVE + "\n"));
    try (LinePump pump = new LinePump(source)) {
      while (true) {
        pump.ask(style.yellow("> "));
        SelectResult r = Select.select(pump.lines().receiveCase(), connection.overSignal().receiveCase());
        if (r.channel() == connection.overSignal()) {
          tally.connectionLost(); // the connection's listener has said why
          return tally.exitCode();
        }
        String line = (String) r.value();
        if (!r.ok() || line.isEmpty()) {
          break;
        }
        tally.line();
        handle(line, ++nextId);
        if (connection.hasGivenUp()) {
          tally.connectionLost();
          return tally.exitCode();
        }
      }
    }
    print("\nGoodbye!");
    return tally.exitCode();
  }

  /** Sends one line and prints its answer; across re-attaches until it is answered or fails. */
  private void handle(String line, long id) throws InterruptedException {
    while (true) {
      EchoLink link = connection.awaitLink();
      if (link == null) {
        print(style.dim("  error: not sent: the connection to the node was lost and could not be restored"));
        return;
      }
      switch (deliver(link, line, id)) {
        case ANSWERED -> {
          tally.answered();
          return;
        }
        case FAILED -> {
          return;
        }
        case LINK_ENDED -> {
          // The node ended this process: the answer cannot reach it. Again from the next one.
        }
      }
    }
  }

  private Delivery deliver(EchoLink link, String line, long id) throws InterruptedException {
    if (link != relayCheckedOn) {
      awaitRelay(link); // a restarted relay's node serves before its supervisor has registered 'relay' again
      relayCheckedOn = link;
    }
    Map<String, Object> request = EchoProtocol.request(link.pid(), line, id);
    long size = EchoProtocol.size(request);
    if (size > link.maxPayloadBytes()) {
      print(style.dim("  error: " + SendErrors.tooLarge(size, link.maxPayloadBytes())));
      return Delivery.FAILED;
    }
    try {
      link.sendEcho(request);
    } catch (TroupeException e) {
      if (link.hasEnded()) {
        return Delivery.LINK_ENDED;
      }
      print(style.dim("  error: " + SendErrors.describe(e)));
      return Delivery.FAILED;
    }
    return awaitReply(link, id);
  }

  private Delivery awaitReply(EchoLink link, long id) throws InterruptedException {
    Channel<Message> inbox = link.inbox();
    Channel<Instant> timeout = Time.after(settings.replyTimeout());
    while (true) {
      SelectResult r = Select.select(inbox.receiveCase(), timeout.receiveCase());
      if (r.channel() == timeout) {
        print(style.dim("  timeout"));
        return Delivery.FAILED;
      }
      if (!r.ok()) {
        return Delivery.LINK_ENDED; // the inbox closes when the link ends
      }
      Message msg = (Message) r.value();
      if (!(msg.payload() instanceof Map<?, ?> reply) || !(reply.get("id") instanceof Number n)
          || n.longValue() != id) {
        continue; // a late reply to an earlier line: never shown as this line's answer
      }
      if (EchoProtocol.ECHO_RESPONSE.equals(msg.topic())) {
        print(style.green("  " + reply.get("data")));
        print(style.dim("  from worker: " + reply.get("worker")));
        return Delivery.ANSWERED;
      }
      if (EchoProtocol.ECHO_ERROR.equals(msg.topic())) {
        print(style.dim("  error: no worker available: " + reply.get("reason")));
        return Delivery.FAILED;
      }
    }
  }

  /** Looks {@code relay} up until it is registered or the relay wait has passed. */
  private boolean awaitRelay(EchoLink link) throws InterruptedException {
    long deadline = System.nanoTime() + settings.relayWait().toNanos();
    while (true) {
      try {
        if (link.relayRegistered()) {
          return true;
        }
      } catch (TroupeException e) {
        if (link.hasEnded()) {
          return false; // the line's delivery notices and waits for the next link
        }
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      Time.sleep(settings.pollInterval());
    }
  }

  private void print(String text) {
    out.println(text);
    out.flush();
  }
}
