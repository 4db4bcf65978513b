package dev.troupe.cli;

import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Predicate;

/**
 * An Echo session on a {@link FakeNode}, as a user at a pipe sees it: lines typed one at a time, and
 * the screen (answers and connection notices, in the order printed). The session runs on its own
 * thread; {@link #exitCode} waits for it.
 */
final class CliHarness implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(10);

  final FakeNode node = new FakeNode();
  private final BlockingQueue<Optional<String>> keyboard = new LinkedBlockingQueue<>();
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream screen = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private CompletableFuture<Integer> exit;
  private NodeConnection connection;

  /** Starts the session with these settings; the node is up and its relay answers as a worker. */
  CliHarness start(EchoSession.Settings settings, ReattachPolicy policy) {
    connection = NodeConnection.open(node, policy, new ConnectionNotices(FakeNode.ADDRESS, new Style(false), line -> {
      screen.println(line);
      screen.flush();
    }));
    EchoSession session = new EchoSession(connection, settings, new Style(false), screen);
    LineSource lines = prompt -> {
      try {
        return keyboard.take().orElse(null);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    };
    exit = CompletableFuture.supplyAsync(() -> {
      try {
        return session.run(lines);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }, r -> Thread.ofPlatform().daemon().name("session").start(r));
    awaitLine(l -> l.startsWith("Type messages"), "the banner");
    return this;
  }

  /** Replies awaited 5 s; re-attaching every 10-50 ms, for 30 s. */
  CliHarness start() {
    return start(replyTimeout(Duration.ofSeconds(5)), reattachGivingUpAfter(Duration.ofSeconds(30)));
  }

  /** Session settings with this reply timeout (the relay awaited 2 s, polled every 10 ms). */
  static EchoSession.Settings replyTimeout(Duration timeout) {
    return new EchoSession.Settings(Duration.ofSeconds(2), timeout, Duration.ofMillis(10));
  }

  /** Re-attach attempts 10 ms apart, doubling up to 50 ms, for {@code giveUp}. */
  static ReattachPolicy reattachGivingUpAfter(Duration giveUp) {
    return new ReattachPolicy(Duration.ofMillis(10), Duration.ofMillis(50), giveUp);
  }

  void type(String line) {
    keyboard.add(Optional.of(line));
  }

  void endInput() {
    keyboard.add(Optional.empty());
  }

  /** Every line on the screen so far. */
  List<String> screen() {
    String s = bytes.toString(StandardCharsets.UTF_8);
    return s.isEmpty() ? List.of() : List.of(s.split("\n", -1));
  }

  /** Waits until a line on the screen matches. */
  String awaitLine(Predicate<String> matches, String what) {
    return await(what + " on the screen").atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
        .until(() -> screen().stream().filter(matches).findFirst(), Optional::isPresent).orElseThrow();
  }

  long count(Predicate<String> matches) {
    return screen().stream().filter(matches).count();
  }

  int exitCode() throws Exception {
    return exit.get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  boolean hasExited() {
    return exit.isDone();
  }

  @Override
  public void close() {
    endInput();
    if (connection != null) {
      connection.close();
    }
  }
}
