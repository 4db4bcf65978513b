package dev.troupe.cli;

import dev.troupe.api.TroupeException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The cli-client binary: the tutorial's Echo client. It attaches to the relay's node by default, where
 * {@code relay} is a local process: a line and its answer never cross the registry's node, and a
 * registry restart does not touch the CLI. Any other node works too ({@code --connect}).
 */
@Command(name = "cli-client", mixinStandardHelpOptions = true,
    description = {"Send lines to the Echo relay and print the workers' replies.",
        "Attaches to the relay's node (relay-service, port 7402) unless --connect names another node."},
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
        "0:some line was answered (or none was typed)",
        "1:no Troupe node at --connect, no relay, no line answered, or the node lost for good",
        "2:bad command line"})
public final class CliMain implements Callable<Integer> {

  @Option(names = "--connect", defaultValue = "127.0.0.1:7402",
      description = "Node to attach to, host:port (default: the local relay's node, ${DEFAULT-VALUE}; any other"
          + " node of the topology works too, e.g. the registry's at 7400, one hop further from the relay).")
  String connect;

  @Option(names = "--relay-wait-ms", defaultValue = "5000", description = "How long to wait for the relay (default: ${DEFAULT-VALUE}).")
  long relayWaitMs;

  @Option(names = "--reply-timeout-ms", defaultValue = "2000", description = "How long to wait for each reply (default: ${DEFAULT-VALUE}).")
  long replyTimeoutMs;

  @Option(names = "--attach-timeout-ms", defaultValue = "5000",
      description = "How long one attach to the node may take, at start and when re-attaching (default: ${DEFAULT-VALUE}).")
  long attachTimeoutMs;

  @Option(names = "--reattach-backoff-ms", defaultValue = "100",
      description = "After the node restarts: wait after the first failed re-attach, doubling (default: ${DEFAULT-VALUE}).")
  long reattachBackoffMs;

  @Option(names = "--reattach-max-backoff-ms", defaultValue = "1000",
      description = "Longest wait between re-attach attempts (default: ${DEFAULT-VALUE}).")
  long reattachMaxBackoffMs;

  @Option(names = "--reattach-give-up-ms", defaultValue = "30000",
      description = "How long to keep re-attaching before exiting with 1 (default: ${DEFAULT-VALUE}).")
  long reattachGiveUpMs;

  @Option(names = "--history", description = "History file (default: ~/.troupe_cli_history).")
  Path history;

  @Option(names = "--cache-dir",
      description = "Troupe's cache (JLine's native library): default $TROUPE_CACHE_DIR, else $XDG_CACHE_HOME/troupe, else ~/.cache/troupe.")
  Path cacheDir;

  @Override
  public Integer call() throws Exception {
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
        StandardCharsets.UTF_8);
    JLineNativeCache.install(cacheDir != null ? cacheDir
        : JLineNativeCache.defaultCacheDir(System.getenv(), System.getProperty("user.home")));
    EchoSession.Settings settings = new EchoSession.Settings(Duration.ofMillis(relayWaitMs),
        Duration.ofMillis(replyTimeoutMs), EchoSession.Settings.DEFAULT_POLL_INTERVAL);
    ReattachPolicy reattach = new ReattachPolicy(Duration.ofMillis(reattachBackoffMs),
        Duration.ofMillis(reattachMaxBackoffMs), Duration.ofMillis(reattachGiveUpMs));
    try (Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build()) {
      boolean interactive = !Terminal.TYPE_DUMB.equals(terminal.getType())
          && !Terminal.TYPE_DUMB_COLOR.equals(terminal.getType());
      Style style = Style.detect(interactive);
      LineReader reader = interactive ? lineReader(terminal) : null;
      Consumer<String> notices = reader != null ? reader::printAbove : line -> {
        out.println(line);
        out.flush();
      };
      NodeConnection connection;
      try {
        connection = NodeConnection.open(ProcessEchoLink.over(connect, Duration.ofMillis(attachTimeoutMs)),
            reattach, new ConnectionNotices(connect, style, notices));
      } catch (TroupeException e) {
        System.err.println("error: " + e.getMessage()); // one line: what failed, at which address
        return SessionTally.FAILED;
      }
      try (connection; LineSource lines = reader != null ? terminalLines(reader) : pipedLines()) {
        return new EchoSession(connection, settings, style, out).run(lines);
      }
    }
  }

  private LineReader lineReader(Terminal terminal) {
    Path file = history != null ? history : Path.of(System.getProperty("user.home"), ".troupe_cli_history");
    return LineReaderBuilder.builder().terminal(terminal).variable(LineReader.HISTORY_FILE, file).build();
  }

  private static LineSource pipedLines() {
    return LineSource.of(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
  }

  private static LineSource terminalLines(LineReader reader) {
    return new LineSource() {
      @Override
      public String readLine(String prompt) {
        try {
          return reader.readLine(prompt);
        } catch (EndOfFileException | UserInterruptException e) {
          return null; // Ctrl+D, Ctrl+C: leave like an empty line
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
    ClientProgram.run("cli-client", new CliMain(), args);
  }
}
