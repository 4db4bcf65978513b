package dev.troupe.cli;

import dev.troupe.api.ProcessFailure;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.GrpcAttach;
import dev.troupe.lua.LuaEntry;
import dev.troupe.lua.LuaEntryDefinition;
import dev.troupe.lua.Terminal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Runs one {@code process.lua} entry of a topology file on this terminal, as a terminal host does in the
 * original ({@code wippy run -x app:terminal/app:cli}): a process attached to a node of the topology,
 * whose {@code io} is this terminal. When it ends, this program exits with the original's code: 1 for
 * an error (printed to stderr), the number it returned, 0/1 for true/false, 0 for nothing; a returned
 * string is printed.
 */
@Command(name = "troupe-terminal", mixinStandardHelpOptions = true,
    description = "Run a process.lua entry of a topology file on this terminal, attached to a Troupe node.")
public final class TerminalMain implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "[HOST/]ENTRY",
      description = "The entry to run, e.g. app:cli; the tutorial's form app:terminal/app:cli is accepted.")
  String target;

  @Parameters(index = "1..*", paramLabel = "ARG", description = "Arguments for its main, as strings.")
  List<String> args = new ArrayList<>();

  @Option(names = "--topology", required = true, description = "The topology file (the tutorial's src/_index.yaml).")
  Path topology;

  @Option(names = "--connect", defaultValue = "127.0.0.1:7401",
      description = "A node of the topology to attach to (default: the launcher's, ${DEFAULT-VALUE}).")
  String connect;

  @Option(names = "--attach-timeout-ms", defaultValue = "5000",
      description = "How long to wait for the node (default: ${DEFAULT-VALUE}).")
  long attachTimeoutMs;

  @Override
  public Integer call() throws Exception {
    String entry = target.contains("/") ? target.substring(target.indexOf('/') + 1) : target;
    if (!Files.isRegularFile(topology)) {
      throw new CommandLine.ParameterException(new CommandLine(this), "no topology file " + topology);
    }
    Map<String, LuaEntryDefinition> entries = LuaEntryDefinition.readAll(topology);
    LuaEntryDefinition def = entries.get(entry);
    if (def == null) {
      throw new CommandLine.ParameterException(new CommandLine(this), topology + " has no process.lua entry '"
          + entry + "'; it has " + entries.keySet());
    }
    LuaEntry lua = new LuaEntry(def.compile(), Terminal.console());
    AttachedProcess process;
    try {
      process = GrpcAttach.attach(connect, "", entry, Duration.ofMillis(attachTimeoutMs));
    } catch (TroupeException e) {
      System.err.println("troupe-terminal: no Troupe node at " + connect + " (" + e.getMessage() + ")");
      return 1;
    }
    AtomicReference<Object> result = new AtomicReference<>();
    AtomicReference<String> error = new AtomicReference<>();
    Thread main = Thread.ofVirtual().name(process.pid()).start(() -> {
      process.mainThread(Thread.currentThread());
      try {
        result.set(lua.main(process, List.copyOf(args)));
      } catch (ProcessFailure | TroupeException e) {
        error.set(e.getMessage());
      } catch (Exception e) {
        error.set(e.toString());
      }
    });
    main.join();
    if (error.get() == null && process.failure() != null) {
      error.set(process.failure());
    }
    if (error.get() != null) {
      process.exit(dev.troupe.proto.common.v1.ExitResult.newBuilder().setError(
          dev.troupe.proto.common.v1.ProcessError.newBuilder().setMessage(error.get())).build());
      System.err.println(error.get());
      return 1;
    }
    process.exit(result.get());
    return exitCode(result.get());
  }

  /** The original's exit code for what a terminal process returned. */
  static int exitCode(Object value) {
    if (value instanceof String s) {
      System.out.println(s);
      return 0;
    }
    if (value instanceof Number n) {
      return n.intValue();
    }
    if (value instanceof Boolean b) {
      return b ? 0 : 1;
    }
    return 0;
  }

  public static void main(String[] args) {
    ClientProgram.run("troupe-terminal", new TerminalMain(), args);
  }
}
