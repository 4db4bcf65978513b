package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The scripts, the CLI and their output on the hosts of a {@link TestNetwork}, for the multi-host
 * tests: every command runs inside a host's namespace with that host's environment (its address, its
 * run directory, the registry it joins, and the secrets every host shares, as machines that share
 * their ~/.troupe files).
 */
final class Hosts implements AutoCloseable {
  static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS");

  final TestNetwork net;
  final Path work;
  private final IntFunction<Map<String, String>> extraEnv;

  private Hosts(TestNetwork net, Path work, IntFunction<Map<String, String>> extraEnv) {
    this.net = net;
    this.work = work;
    this.extraEnv = extraEnv;
  }

  /**
   * {@code count} hosts, in a work directory of their own under system-tests/target/{@code name};
   * {@code extraEnv} adds to (or overrides) a host's environment, e.g. its TROUPE_REGISTRY. Skips the
   * test where namespaces cannot be made, and fails it under CI, which must be able to.
   */
  static Hosts create(String name, int count, IntFunction<Map<String, String>> extraEnv) throws IOException {
    boolean available = TestNetwork.available();
    if (System.getenv("CI") != null) {
      assertThat(available).as("CI runs as root with iproute2 and iptables (.ci/run installs iptables)").isTrue();
    }
    assumeThat(available).as("network namespaces need root, iproute2 and iptables").isTrue();
    Path work = Files.createDirectories(Topology.repoRoot().resolve("system-tests/target").resolve(name)
        .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("HHmmss-SSS"))));
    return new Hosts(TestNetwork.create(count), work, extraEnv);
  }

  String address(int host) {
    return net.address(host);
  }

  Path runDir(int host) {
    return work.resolve("host" + host);
  }

  /** The environment of {@code host}: its address and run directory, then the test's own. */
  Map<String, String> env(int host) {
    Map<String, String> e = new HashMap<>();
    e.put("TROUPE_RUN_DIR", runDir(host).toString());
    e.put("TROUPE_BIND", net.address(host));
    e.put("TROUPE_HOME", Topology.SHARED_HOME.toString());
    e.put("TROUPE_NO_BUILD", "1");
    e.put("TROUPE_START_TIMEOUT", "90");
    String javaHome = System.getenv("JAVA_HOME");
    e.put("JAVA_HOME", javaHome != null ? javaHome : System.getProperty("java.home"));
    e.putAll(extraEnv.apply(host));
    return e;
  }

  record Result(int code, String stdout, String stderr) {
    String describe() {
      return "exit " + code + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
  }

  /** A process running in a host, its output going to files, its input a pipe the test writes to. */
  record Started(Process process, Path out, Path err) {
    void awaitOutput(String text, Duration within) throws Exception {
      try {
        Awaitility.await().atMost(within).pollInterval(Duration.ofMillis(100))
            .until(() -> Files.readString(out).contains(text) || !process.isAlive());
      } catch (ConditionTimeoutException e) {
        // reported below, with what the process wrote
      }
      if (!Files.readString(out).contains(text)) {
        throw new AssertionError("'" + text + "' within " + within + "\n" + await(Duration.ZERO).describe());
      }
    }

    void finishInput(String input) throws IOException {
      try (var in = process.getOutputStream()) {
        in.write(input.getBytes(StandardCharsets.UTF_8));
      }
    }

    Result await(Duration within) throws InterruptedException, IOException {
      if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
      }
      return new Result(process.isAlive() ? -1 : process.exitValue(), Files.readString(out), Files.readString(err));
    }
  }

  Started start(int host, List<String> command) throws IOException {
    ProcessBuilder pb = net.inHost(host, command).directory(Topology.repoRoot().toFile());
    pb.environment().putAll(env(host));
    Path out = Files.createTempFile(work, "out", ".txt");
    Path err = Files.createTempFile(work, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    return new Started(pb.start(), out, err);
  }

  Result run(int host, List<String> command, String input, Duration timeout) {
    try {
      Started p = start(host, command);
      p.finishInput(input);
      return p.await(timeout);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code scripts/troupe ARGS} on {@code host}. */
  Result troupe(int host, String... args) {
    List<String> cmd = new ArrayList<>(List.of(Topology.repoRoot().resolve("scripts/troupe").toString()));
    cmd.addAll(List.of(args));
    return run(host, cmd, "", Duration.ofSeconds(90));
  }

  static void assertStarted(Result r) {
    assertThat(r.code()).as(r.describe()).isZero();
  }

  List<String> cliCommand(int relayHost) {
    return List.of(Topology.repoRoot().resolve("scripts/cli-client").toString(), "--connect",
        net.address(relayHost) + ":7402");
  }

  /** cli-client on {@code clientHost}, attached to the relay's node on {@code relayHost}. */
  Result cli(int clientHost, int relayHost, String input) {
    return run(clientHost, cliCommand(relayHost), input, Duration.ofSeconds(120));
  }

  /**
   * The same, patient for its replies ({@link Topology#PATIENT_REPLY}): for the first echoes after a
   * start or a recovery, not those that show the service holding up during a fault.
   */
  Result patientCli(int clientHost, int relayHost, String input) {
    List<String> command = new java.util.ArrayList<>(cliCommand(relayHost));
    command.addAll(Topology.PATIENT_REPLY);
    return run(clientHost, command, input, Duration.ofSeconds(120));
  }

  /** The OS process {@code pid} ends within 30 s, by itself. */
  static void assertEndsByItself(long pid, String what) throws Exception {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isPresent()) {
      assertThat(h.get().onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).get()).as("%s (pid %d) ended", what, pid)
          .isNotNull();
    }
  }

  /**
   * @param answered whether the registry answered (the call succeeded and listed its nodes)
   * @param incarnations node name to its label as the registry logs it, e.g. relay#3aee45c216eac7d2
   */
  record Status(boolean answered, List<String> nodes, Map<String, String> names,
      Map<String, String> incarnations, String text) {}

  /** `troupe status` from {@code host}: the nodes and names its registry knows. */
  Status status(int host) {
    Result r = run(host, List.of(Topology.repoRoot().resolve("scripts/troupe").toString(), "status"), "",
        Duration.ofSeconds(60));
    List<String> nodes = new ArrayList<>();
    Map<String, String> names = new HashMap<>();
    Map<String, String> incarnations = new HashMap<>();
    String section = "";
    for (String line : r.stdout().lines().toList()) {
      if (line.equals("nodes:") || line.equals("names:") || line.startsWith("processes on")) {
        section = line;
      } else if (line.startsWith("  ") && section.equals("nodes:")) {
        String[] f = line.strip().split("\\s+");
        nodes.add(f[0]);
        if (f.length > 3 && f[2].equals("incarnation")) {
          // "incarnation 3aee45c216eac7d2": the registry logs it without leading zeros
          incarnations.put(f[0], f[0] + "#" + Long.toHexString(Long.parseUnsignedLong(f[3], 16)));
        }
      } else if (line.startsWith("  ") && section.equals("names:")) {
        String[] f = line.strip().split("\\s+");
        names.put(f[0], f[1]);
      }
    }
    return new Status(r.code() == 0 && r.stdout().contains("nodes:\n"), nodes, names, incarnations, r.describe());
  }

  Status awaitStatus(int host, Predicate<Status> holds, String what, Duration within) {
    AtomicReference<Status> last = new AtomicReference<>();
    try {
      Awaitility.await().atMost(within).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(500)).until(() -> {
        Status s = status(host);
        last.set(s);
        return s.answered() && holds.test(s);
      });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(what + " within " + within + "; last status:\n"
          + (last.get() == null ? "(none)" : last.get().text()), e);
    }
    return last.get();
  }

  /** The lines of the registry's log on {@code host} that match {@code line}. */
  List<String> registryLog(int host, Predicate<String> line) throws IOException {
    Path log = runDir(host).resolve("logs/registry.log");
    if (!Files.exists(log)) {
      return List.of();
    }
    // Read as bytes: a line being written may end in half a character.
    return new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().filter(line).toList();
  }

  /** The registry's log lines on {@code host} that declare a node lost. */
  List<String> lostLines(int host) throws IOException {
    return registryLog(host, Hosts::declaresLost);
  }

  /** Whether a registry's log line declares a node lost. */
  static boolean declaresLost(String line) {
    return line.contains("registry: node ") && line.contains(" lost: ");
  }

  /** When a log line was written. */
  static LocalDateTime logTime(String line) {
    return LocalDateTime.parse(line.substring(0, 23), LOG_TIME);
  }

  /** Runs `troupe down` on each of {@code hosts}, in order, then removes the network. */
  void down(int... hosts) {
    try {
      for (int host : hosts) {
        troupe(host, "down");
      }
    } finally {
      net.close();
    }
  }

  @Override
  public void close() {
    net.close();
  }
}
