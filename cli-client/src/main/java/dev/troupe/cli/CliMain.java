package dev.troupe.cli;

import dev.troupe.runtime.api.TroupeException;
import dev.troupe.runtime.grpc.GrpcAttach;
import dev.troupe.runtime.process.AttachedProcess;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The cli-client binary: the tutorial's Echo client, attached to any Troupe node. */
@Command(name = "cli-client", mixinStandardHelpOptions = true,
    description = "Send lines to the Echo relay and print the workers' replies.")
public final class CliMain implements Callable<Integer> {

  @Option(names = "--connect", defaultValue = "127.0.0.1:7400",
      description = "Node to attach to, host:port (default: the local registry, ${DEFAULT-VALUE}).")
  String connect;

  @Option(names = "--relay-wait-ms", defaultValue = "5000", description = "How long to wait for the relay (default: ${DEFAULT-VALUE}).")
  long relayWaitMs;

  @Option(names = "--reply-timeout-ms", defaultValue = "2000", description = "How long to wait for each reply (default: ${DEFAULT-VALUE}).")
  long replyTimeoutMs;

  @Option(names = "--history", description = "History file (default: ~/.troupe_cli_history).")
  Path history;

  @Override
  public Integer call() throws Exception {
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
        StandardCharsets.UTF_8);
    AttachedProcess process;
    try {
      process = GrpcAttach.attach(connect, "", "cli-client", Duration.ofSeconds(5));
    } catch (TroupeException e) {
      System.err.println("error: cannot attach to a Troupe node at " + connect + ": " + e.getMessage());
      return 1;
    }
    EchoSession.Settings settings = new EchoSession.Settings(Duration.ofMillis(relayWaitMs),
        Duration.ofMillis(replyTimeoutMs), Duration.ofMillis(50));
    int code;
    try (Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build();
         LineSource lines = lineSource(terminal)) {
      boolean interactive = !Terminal.TYPE_DUMB.equals(terminal.getType())
          && !Terminal.TYPE_DUMB_COLOR.equals(terminal.getType());
      code = new EchoSession(process, settings, Style.detect(interactive), out).run(lines);
    } finally {
      process.close();
    }
    return code;
  }

  private LineSource lineSource(Terminal terminal) {
    if (Terminal.TYPE_DUMB.equals(terminal.getType()) || Terminal.TYPE_DUMB_COLOR.equals(terminal.getType())) {
      return LineSource.of(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
    }
    Path file = history != null ? history : Path.of(System.getProperty("user.home"), ".troupe_cli_history");
    LineReader reader = LineReaderBuilder.builder().terminal(terminal)
        .variable(LineReader.HISTORY_FILE, file).build();
    return new LineSource() {
      @Override
      public String readLine(String prompt) {
        try {
          return reader.readLine(prompt);
        } catch (EndOfFileException | UserInterruptException e) {
          return null;
        }
      }

      @Override
      public void close() {
        try {
          reader.getHistory().save();
        } catch (java.io.IOException ignored) {
          // history is a convenience
        }
      }
    };
  }

  public static void main(String[] args) {
    int code = new CommandLine(new CliMain()).execute(args);
    System.out.flush();
    // A JVM that used gRPC lingers at exit for its event loop threads; leave deliberately.
    Runtime.getRuntime().halt(code);
  }
}
