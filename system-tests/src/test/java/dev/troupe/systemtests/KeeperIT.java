package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.systemtests.Topology.Run;
import dev.troupe.systemtests.Topology.Service;
import dev.troupe.systemtests.fixtures.ListenThenExit;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * scripts/lib/keeper.sh, which keeps a service's JVM running, run the way scripts/troupe runs it (as
 * the keeper of the "registry" of a run directory, so that {@code troupe down} finds it): it gives up
 * after repeated failed starts (a JVM that ends with an error of its own before it listens on its
 * port), however long each took, and it starts again, however often, a JVM that had listened or that
 * was killed from outside.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class KeeperIT {
  /** Runs keeper.sh for the "registry" of the run dir on $PORT, as scripts/troupe does, keeping the command after it. */
  private static final String KEEPER = "source scripts/lib/common.sh && troupe_find_jdk && source scripts/lib/services.sh"
      + " && echo $$ > \"$(troupe_keeper_pid_file registry)\""
      + " && exec bash scripts/lib/keeper.sh registry \"$(troupe_pid_file registry)\" \"$PORT\" -- ";
  private static final String REGISTRY_JVM = "\"$TROUPE_JAVA\" \"$(troupe_run_dir_marker)\" \"${TROUPE_SERVICE_JVM_FLAGS[@]}\""
      + " -cp \"$(troupe_classpath registry-service)\" dev.troupe.registry.server.RegistryMain --bind 127.0.0.1 --port \"$PORT\"";
  private static final Pattern FAILED_START = Pattern.compile("failed to start: exited with code (\\d+) before it listened");
  private static final Pattern RESTART = Pattern.compile("keeper: registry \\(pid (\\d+)\\) exited with code (\\d+); restarting");

  private Topology topology;

  @BeforeEach
  void runDirAndPorts() {
    topology = Topology.named("keeper").build(); // nothing started: its run dir, ports and `troupe down`
  }

  @AfterEach
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void stopWhatIsLeft() {
    topology.close();
  }

  @Test
  void aServiceWhosePortIsTakenFailsToStartAndItsKeeperGivesUpAfterTheLimit() throws IOException {
    int port = topology.port(Service.REGISTRY);
    try (ServerSocket held = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      // given: the registry's port held by this test, and a limit of 3 failed starts

      // when
      Run keeper = keepInTheForeground(REGISTRY_JVM, 3, Duration.ofSeconds(120));

      // then: three JVMs that could not bind, and the keeper ends, saying why
      String log = keeper.stdout() + keeper.stderr();
      assertThat(keeper.exitCode()).as(keeper.describe()).isEqualTo(1);
      assertThat(count("Failed to bind to address /127.0.0.1:" + port, log)).as(keeper.describe()).isEqualTo(3);
      assertThat(FAILED_START.matcher(log).results().map(m -> m.group(1)).toList()).as(keeper.describe())
          .containsExactly("1", "1");
      assertThat(log).as(keeper.describe()).contains("keeper: registry failed to start 3 times within 120 s (the last, pid ")
          .contains("exited with code 1 before it listened on port " + port + "); giving up");
    }
  }

  @Test
  void startsThatFailSlowlyCountToo() {
    // given: a service that fails after 2.5 s without ever listening (the keeper once counted only
    // deaths within 2 s of the start, and any slower one reset its count: a JVM that took longer
    // than that to fail on a busy machine was started again forever)
    String failsSlowly = "bash -c 'sleep 2.5; exit 4'";

    // when
    Run keeper = keepInTheForeground(failsSlowly, 2, Duration.ofSeconds(60));

    // then
    assertThat(keeper.exitCode()).as(keeper.describe()).isEqualTo(1);
    assertThat(keeper.stderr()).as(keeper.describe())
        .contains("failed to start: exited with code 4 before it listened")
        .contains("keeper: registry failed to start 2 times within 120 s");
    assertThat(keeper.elapsed()).as(keeper.describe()).isGreaterThanOrEqualTo(Duration.ofMillis(5_000));
  }

  @Test
  void aServiceWithAUsageErrorIsNotStartedAgain() {
    // given: a service that exits with the services' usage error (code 2) before it listens, and a
    // limit of 5 failed starts
    String usageError = "bash -c 'echo \"Unknown option: --no-such-option\" >&2; exit 2'";

    // when
    Run keeper = keepInTheForeground(usageError, 5, Duration.ofSeconds(60));

    // then: one start, and the keeper ends saying why
    assertThat(keeper.exitCode()).as(keeper.describe()).isEqualTo(1);
    assertThat(count("Unknown option: --no-such-option", keeper.stderr())).as(keeper.describe()).isEqualTo(1);
    assertThat(keeper.stderr()).as(keeper.describe())
        .contains("exited with code 2 before it listened on port " + topology.port(Service.REGISTRY)
            + ": its options are wrong")
        .doesNotContain("restarting");
  }

  @Test
  void aServiceThatFailsAfterItListenedIsStartedAgainEveryTime() throws IOException {
    // given: a service that listens at once and fails (exit code 1) 3 s later, and a limit of a
    // single failed start
    Path log = topology.runDir().resolve("keeper.log");
    startKeeperInTheBackground(fixture(0, 3_000, 1), log, Map.of("TROUPE_KEEPER_MAX_FAILED_STARTS", "1"));

    // when: it fails three times
    List<String> restarted = awaitRestarts(log, 3, Duration.ofSeconds(90));

    // then: each time it was started again, and the keeper still runs
    assertThat(restarted).as(read(log)).doesNotHaveDuplicates().allMatch(r -> r.endsWith(":1"));
    assertThat(read(log)).doesNotContain("failed to start").doesNotContain("giving up");
    // (the JVM it started after the third: the PID file names a dead one until the restart delay is over)
    awaitNewJvm(restarted.stream().map(r -> Long.parseLong(r.substring(0, r.indexOf(':')))).toList(),
        Duration.ofSeconds(30));
    assertThat(keeperIsAliveAndStopsOnTerm()).as(read(log)).isTrue();
  }

  @Test
  void aServiceKilledFromOutsideBeforeItListenedIsStartedAgain() throws IOException {
    // given: a service that would listen only after a minute, and a limit of a single failed start
    Path log = topology.runDir().resolve("keeper.log");
    startKeeperInTheBackground(fixture(60_000, 60_000, 1), log, Map.of("TROUPE_KEEPER_MAX_FAILED_STARTS", "1"));

    // when: kill -9 twice while it starts
    List<Long> killed = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      ProcessHandle jvm = awaitNewJvm(killed, Duration.ofSeconds(30));
      Topology.signal(jvm, "KILL");
      killed.add(jvm.pid());
    }

    // then: started a third time, the keeper still running
    ProcessHandle third = awaitNewJvm(killed, Duration.ofSeconds(30));
    assertThat(RESTART.matcher(read(log)).results().map(m -> Long.parseLong(m.group(1)) + ":" + m.group(2)).toList())
        .as(read(log)).containsExactly(killed.get(0) + ":137", killed.get(1) + ":137");
    assertThat(read(log)).doesNotContain("failed to start").doesNotContain("giving up");
    assertThat(third.isAlive()).isTrue();
    assertThat(keeperIsAliveAndStopsOnTerm()).as(read(log)).isTrue();
  }

  // ---------------------------------------------------------------- helpers

  /** The command of a {@link ListenThenExit} JVM on the registry's port. */
  private static String fixture(long listenAfterMs, long exitAfterMs, int exitCode) {
    return "\"$TROUPE_JAVA\" \"$(troupe_run_dir_marker)\" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp \"$FIXTURES\" "
        + ListenThenExit.class.getName() + " \"$PORT\" " + listenAfterMs + " " + exitAfterMs + " " + exitCode;
  }

  private void startKeeperInTheBackground(String command, Path log, Map<String, String> settings) {
    Map<String, String> env = new java.util.HashMap<>(settings);
    env.put("PORT", Integer.toString(topology.port(Service.REGISTRY)));
    env.put("FIXTURES", testClasses().toString());
    env.put("KEEP", KEEPER + command);
    env.put("LOG", log.toString());
    Run started = topology.run(List.of("bash", "-c", "setsid bash -c \"$KEEP\" > \"$LOG\" 2>&1 < /dev/null &"),
        env, Duration.ofSeconds(30));
    assertThat(started.exitCode()).as(started.describe()).isZero();
    await("the keeper to start").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> topology.keeper(Service.REGISTRY).isPresent());
  }

  /** "PID:EXIT_CODE" of each JVM the keeper restarted (from its log), once there are {@code n} or more. */
  private static List<String> awaitRestarts(Path log, int n, Duration within) {
    return await("the keeper to have restarted its JVM " + n + " times").atMost(within)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> RESTART.matcher(read(log)).results().map(m -> m.group(1) + ":" + m.group(2)).toList(),
            l -> l.size() >= n);
  }

  /** The JVM the keeper's PID file names, once it is alive and none of {@code before}. */
  private ProcessHandle awaitNewJvm(List<Long> before, Duration within) {
    Path pidFile = topology.runDir().resolve("registry.pid");
    return await("a new JVM started by the keeper").atMost(within).pollInterval(Duration.ofMillis(20))
        .until(() -> readPid(pidFile).filter(pid -> !before.contains(pid)).flatMap(ProcessHandle::of)
            .filter(ProcessHandle::isAlive), Optional::isPresent).orElseThrow();
  }

  /** The keeper runs; TERM stops it and the JVM it keeps within 10 s. */
  private boolean keeperIsAliveAndStopsOnTerm() {
    ProcessHandle keeper = topology.keeper(Service.REGISTRY).orElseThrow();
    Optional<ProcessHandle> jvm = readPid(topology.runDir().resolve("registry.pid")).flatMap(ProcessHandle::of);
    Topology.signal(keeper, "TERM");
    List<ProcessHandle> both = new ArrayList<>(List.of(keeper));
    jvm.ifPresent(both::add);
    return Topology.stillAliveAfter(both, Duration.ofSeconds(10)).isEmpty();
  }

  private static Optional<Long> readPid(Path file) {
    try {
      return Optional.of(Long.parseLong(Files.readString(file).trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /** The keeper running COMMAND as the registry (on its port) until it ends, with a limit of failed starts. */
  private Run keepInTheForeground(String command, int maxFailedStarts, Duration timeout) {
    return topology.run(List.of("bash", "-c", KEEPER + command), Map.of("PORT",
        Integer.toString(topology.port(Service.REGISTRY)), "TROUPE_KEEPER_MAX_FAILED_STARTS",
        Integer.toString(maxFailedStarts)), timeout);
  }

  private static int count(String what, String in) {
    int n = 0;
    for (int i = in.indexOf(what); i >= 0; i = in.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  private static Path testClasses() {
    return Path.of(System.getProperty("troupe.target", "system-tests/target")).toAbsolutePath().resolve("test-classes");
  }
}
