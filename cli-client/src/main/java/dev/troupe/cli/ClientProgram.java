package dev.troupe.cli;

import dev.troupe.api.TroupeException;
import dev.troupe.client.TransportSecurity;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;

/** How a program of this module that attaches to a node starts and ends. */
final class ClientProgram {
  /**
   * gRPC logs a failed connection (an unknown host, say) as a warning with a stack trace on stderr;
   * the programs say what failed in one line of their own instead. Held: JUL keeps loggers weakly.
   */
  private static final Logger GRPC_LOG = Logger.getLogger("io.grpc");

  private ClientProgram() {}

  /**
   * Runs {@code command} with {@code args} and exits with its code. The topology's secret is found as
   * every client finds it (~/.troupe/secret, TROUPE_SECRET...) without being told.
   */
  static void run(String name, Object command, String[] args) {
    GRPC_LOG.setLevel(Level.OFF);
    try {
      TransportSecurity.setProcess(TransportSecurity.forClient(System.getenv()));
    } catch (TroupeException e) {
      System.err.println(name + ": " + e.getMessage());
      Runtime.getRuntime().halt(2);
    }
    int code = new CommandLine(command).execute(args);
    System.out.flush();
    // A JVM that used gRPC lingers at exit for its event loop threads; leave deliberately.
    Runtime.getRuntime().halt(code);
  }
}
