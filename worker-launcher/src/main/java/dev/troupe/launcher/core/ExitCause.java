package dev.troupe.launcher.core;

/** Words for how a worker JVM ended, from its exit status. */
public final class ExitCause {
  private static final String[] SIGNALS = {"", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP",
      "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE",
      "SIGALRM", "SIGTERM"};

  private ExitCause() {}

  /** "killed by signal 9 (SIGKILL)" for 137 (the JDK reports 128 + signal), else "exited with code N". */
  public static String describe(int exitValue) {
    if (exitValue > 128 && exitValue < 128 + 32) {
      int sig = exitValue - 128;
      String name = sig < SIGNALS.length ? " (" + SIGNALS[sig] + ")" : "";
      return "worker JVM killed by signal " + sig + name;
    }
    return "worker JVM exited with code " + exitValue;
  }
}
