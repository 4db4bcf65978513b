package dev.troupe.launcher.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * JVM options an operator adds to every worker JVM ({@code --worker-jvm-option}): a heap dump on
 * OutOfMemoryError, a flight recording, GC logs, or a trade of speed for memory. They go after the
 * launcher's own flags, so each wins over the flag it names; a collector named here replaces the
 * launcher's (the JVM refuses two). What the launcher itself must decide is refused with the setting
 * to use instead: the class path and main class, the heap's size, the AOT cache.
 */
public final class WorkerJvmOptions {
  private WorkerJvmOptions() {}

  private static final Pattern COLLECTOR = Pattern.compile("-XX:\\+Use(Serial|Parallel|G1|Z|Shenandoah|Epsilon)GC");
  /** The launcher's own collector, dropped when an option names one. */
  static final String DEFAULT_COLLECTOR = "-XX:+UseParallelGC";

  private static final Set<String> CLASS_PATH = Set.of("-cp", "-classpath", "--class-path");
  private static final Set<String> MAIN = Set.of("-jar", "-m", "--module");
  /** Launcher options whose value would be the next argument, which the worker's command does not allow. */
  private static final Set<String> VALUE_IN_NEXT_ARGUMENT = Set.of("-p", "--module-path", "--upgrade-module-path",
      "--add-modules", "--add-reads", "--add-exports", "--add-opens", "--limit-modules", "--patch-module",
      "--enable-native-access", "--source");
  /** Options after which the JVM prints something and exits instead of running the worker. */
  private static final Set<String> EXIT_AT_ONCE = Set.of("-version", "--version", "-help", "--help", "-h", "-?",
      "-X", "--help-extra", "--list-modules", "--dry-run", "--validate-modules", "-d", "--describe-module");

  /**
   * The options as given, once each is checked.
   *
   * @throws IllegalArgumentException naming the first option refused, why, and what to use instead
   */
  static List<String> checked(List<String> options) {
    for (String o : options) {
      String refusal = refusal(o);
      if (refusal != null) {
        throw new IllegalArgumentException("worker JVM option '" + o + "' refused: " + refusal);
      }
    }
    return List.copyOf(options);
  }

  /** Why an option cannot be given to worker JVMs, or null when it can. */
  static String refusal(String o) {
    if (o == null || o.isBlank() || !o.startsWith("-")) {
      return "a JVM option starts with '-' (e.g. -XX:+HeapDumpOnOutOfMemoryError)";
    }
    String name = o.contains("=") ? o.substring(0, o.indexOf('=')) : o;
    if (CLASS_PATH.contains(name)) {
      return "the launcher sets the worker class path; add jars with --worker-classpath";
    }
    if (MAIN.contains(name)) {
      return "a worker JVM runs the worker's own main class";
    }
    if (o.startsWith("-Xmx") || name.equals("-XX:MaxHeapSize")) {
      return "use --worker-heap-mb (the young generation and the heap guard are sized from it)";
    }
    if (name.startsWith("-XX:AOT") || name.equals("-XX:SharedArchiveFile")) {
      return "the launcher builds and names the worker JVMs' AOT cache (--aot-cache)";
    }
    if (VALUE_IN_NEXT_ARGUMENT.contains(o)) {
      return "give it with its value as one argument: " + o + "=VALUE";
    }
    if (EXIT_AT_ONCE.contains(o)) {
      return "the JVM would exit instead of running the worker";
    }
    return null;
  }

  /** The longest the JVM's own check of the flags may take: a JVM that starts and prints its version. */
  public static final Duration JVM_CHECK_TIMEOUT = Duration.ofSeconds(30);
  /** What the java launcher adds after the JVM's own error, which tells nothing more. */
  private static final Set<String> JAVA_LAUNCHER_NOISE = Set.of("Error: Could not create the Java Virtual Machine.",
      "Error: A fatal exception has occurred. Program will exit.");
  /**
   * Options that run code or wait in the JVM they are given to: a debugger's agent may wait for its
   * debugger (suspend=y) and holds its port, another agent runs its premain. With them the check is not
   * made: it would run them once more, in a JVM of its own.
   */
  private static final List<String> AGENTS = List.of("-agentlib:", "-agentpath:", "-javaagent:");

  /**
   * What the JVM says of these flags, if it refuses them: it is started with them and -version. An
   * option it does not know, a bad value or two that exclude each other (two collectors) would make
   * every worker JVM exit at once, so that no process could be spawned; the launcher asks once, at its
   * start, and refuses to start with the JVM's words instead. Not asked when an option is an agent
   * ({@link #AGENTS}); a JVM that does not answer within {@link #JVM_CHECK_TIMEOUT} is stopped, and
   * that is no refusal.
   *
   * @return the JVM's error lines, when it exits with an error
   */
  static Optional<String> refusedByTheJvm(String javaBin, List<String> flags) throws IOException, InterruptedException {
    if (flags.stream().anyMatch(f -> AGENTS.stream().anyMatch(f::startsWith))) {
      return Optional.empty();
    }
    List<String> cmd = new ArrayList<>(List.of(javaBin));
    cmd.addAll(flags);
    cmd.add("-version");
    Path said = Files.createTempFile("troupe-jvm-check-", ".txt");
    Process p = null;
    try {
      // Into a file, not a pipe: a pipe is read to its end, which a JVM that never exits never gives.
      p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(said.toFile()).start();
      if (!p.waitFor(JVM_CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || p.exitValue() == 0) {
        return Optional.empty();
      }
      List<String> lines = Files.readAllLines(said, StandardCharsets.UTF_8).stream().map(String::strip)
          .filter(l -> !l.isEmpty() && !JAVA_LAUNCHER_NOISE.contains(l)).toList();
      return Optional.of(lines.isEmpty() ? "the JVM exited with code " + p.exitValue() : String.join("; ", lines));
    } finally {
      if (p != null) {
        p.destroyForcibly();
      }
      Files.deleteIfExists(said);
    }
  }

  /** The launcher's flags, then the options; the launcher's collector left out if an option names one. */
  static List<String> after(List<String> launcherFlags, List<String> options) {
    List<String> all = new ArrayList<>(launcherFlags);
    if (options.stream().anyMatch(o -> COLLECTOR.matcher(o).matches())) {
      all.remove(DEFAULT_COLLECTOR);
    }
    all.addAll(options);
    return all;
  }
}
