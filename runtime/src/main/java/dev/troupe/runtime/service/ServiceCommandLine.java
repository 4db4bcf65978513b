package dev.troupe.runtime.service;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Runs a service's command line. A usage error (an unknown or refused option, a bad value) prints what
 * is wrong and how to see the options, and ends with picocli's usage code (2), which the keeper does not
 * retry. Not the whole option list, as picocli does by default: a service's is 60-100 lines, and
 * {@code troupe up} shows the last 20 lines of the log of a service that could not start, which would
 * then hold the list's tail and not the error.
 */
public final class ServiceCommandLine {
  private ServiceCommandLine() {}

  /** The exit code of running {@code command} with {@code args}. */
  public static int execute(Object command, String... args) {
    return execute(command, new PrintWriter(System.err, true), args);
  }

  /** The same, its errors written to {@code err}. */
  static int execute(Object command, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(command);
    cl.setErr(err);
    // Written through this command line, not the exception's: a service's own check throws with a
    // CommandLine of its own, whose writer is not the one set here.
    cl.setParameterExceptionHandler((e, given) -> usageError(cl, e));
    return cl.execute(args);
  }

  private static int usageError(CommandLine cl, CommandLine.ParameterException e) {
    PrintWriter err = cl.getErr();
    err.println(cl.getCommandName() + ": " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.println(cl.getCommandName() + ": --help lists its options");
    err.flush();
    return cl.getCommandSpec().exitCodeOnInvalidInput();
  }
}
