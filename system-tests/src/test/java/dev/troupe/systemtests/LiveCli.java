package dev.troupe.systemtests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code scripts/cli-client} running with its stdin a pipe the test writes lines into while it runs,
 * as a user types into it through a pipe ({@code other-program | scripts/cli-client}): lines go in one
 * at a time, at the moments the test chooses, and its output is read line by line as it comes. Started
 * by {@link Topology#cli}; stopped by the topology's close if the test does not end it.
 */
public final class LiveCli implements AutoCloseable {
  /** One line of output and when the test read it. */
  public record Line(String text, long atNanos) {}

  private final Process process;
  private final OutputStream stdin;
  private final Path stderr;
  private final BlockingQueue<Line> pending = new LinkedBlockingQueue<>();
  private final List<String> transcript = new ArrayList<>();
  private final Thread reader;

  LiveCli(Process process, Path stderr) {
    this.process = process;
    this.stdin = process.getOutputStream();
    this.stderr = stderr;
    this.reader = Thread.ofPlatform().daemon().name("cli-" + process.pid()).start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        String l;
        while ((l = r.readLine()) != null) {
          Line line = new Line(l.replace("\r", ""), System.nanoTime());
          synchronized (transcript) {
            transcript.add(line.text());
          }
          pending.add(line);
        }
      } catch (IOException e) {
        // the CLI ended
      }
    });
  }

  public ProcessHandle handle() {
    return process.toHandle();
  }

  /** Writes one line to the CLI's stdin (a user pressing Enter). */
  public void type(String line) {
    try {
      stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("could not write to the CLI (" + describe() + ")", e);
    }
  }

  /** Closes stdin: end of input, after which the CLI says Goodbye and exits. */
  public void endInput() {
    try {
      stdin.close();
    } catch (IOException ignored) {
      // already gone
    }
  }

  /** The next output line that {@code matches}, skipping others; fails after {@code within}. */
  public Line awaitLine(Predicate<String> matches, String what, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Line l = left > 0 ? pending.poll(left, TimeUnit.NANOSECONDS) : null;
      if (l == null) {
        throw new AssertionError("expected the CLI to print " + what + " within " + within.toMillis()
            + " ms, but it did not\n" + describe());
      }
      if (matches.test(l.text())) {
        return l;
      }
    }
  }

  /** The next output line that equals {@code text}. */
  public Line awaitLine(String text, Duration within) throws InterruptedException {
    return awaitLine(text::equals, "'" + text + "'", within);
  }

  /**
   * The next line the CLI prints for a request (its replies, `timeout` and `error:` lines are indented
   * by two spaces), or a failure after {@code within}.
   */
  public Line nextAnswer(Duration within) throws InterruptedException {
    return awaitLine(l -> l.startsWith("  "), "an answer line (indented)", within);
  }

  /** Every line printed so far. */
  public List<String> transcript() {
    synchronized (transcript) {
      return List.copyOf(transcript);
    }
  }

  /** Waits for the CLI to exit; its exit code, or fails after {@code within}. */
  public int awaitExit(Duration within) throws InterruptedException {
    if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("expected the CLI to exit within " + within.toMillis() + " ms\n" + describe());
    }
    reader.join(Duration.ofSeconds(5));
    return process.exitValue();
  }

  /** The CLI's output so far and its stderr, for assertion messages. */
  public String describe() {
    String err;
    try {
      err = Files.exists(stderr) ? Files.readString(stderr) : "";
    } catch (IOException e) {
      err = "(unreadable: " + e + ")";
    }
    return "cli-client pid " + process.pid() + (process.isAlive() ? " (running)" : " (exit " + process.exitValue()
        + ")") + "\n--- stdout\n" + String.join("\n", transcript()) + "\n--- stderr\n" + err + "---";
  }

  /** Ends the CLI if it still runs: end of input, then SIGKILL after 5 s. */
  @Override
  public void close() {
    endInput();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
