package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.systemtests.Topology.Run;
import dev.troupe.systemtests.Topology.Service;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code scripts/troupe} as an operator uses it when things are not as they should be: PID files
 * gone, a port taken by another program, nothing running. Each service's JVM and keeper name their
 * run directory on their command line, and the script finds them by that.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScriptsIT {
  @RegisterExtension
  static final Topology topology = Topology.named("scripts").build();

  /** The last test stops the topology; the others start from a whole one. */
  @BeforeEach
  void topologyIsUp() {
    topology.up();
  }

  @Test
  @Order(1)
  void startAndStopNameTheJvmAndTheKeeperOfAServiceAndSayWhichIsWhich() {
    // given: the relay stopped, so that `start` starts it
    Run stopped = topology.stop(Service.RELAY);
    assertThat(stopped.exitCode()).as(stopped.describe()).isZero();

    // when
    Run start = topology.start(Service.RELAY);
    ProcessHandle jvm = topology.running(Service.RELAY);
    ProcessHandle keeper = topology.keeper(Service.RELAY).orElseThrow();
    Run stop = topology.stop(Service.RELAY);

    // then: both name the same two processes the same way
    String pids = "(jvm pid " + jvm.pid() + ", keeper pid " + keeper.pid() + ")";
    assertThat(start.stdout()).as(start.describe())
        .contains("troupe: relay up at " + topology.address(Service.RELAY) + " " + pids);
    assertThat(stop.stdout()).as(stop.describe()).contains("troupe: relay stopped " + pids);
    assertThat(Topology.stillAliveAfter(List.of(jvm, keeper), Duration.ofSeconds(2))).as(stop.describe()).isEmpty();
    // and a service that is not running is said to be so
    Run again = topology.stop(Service.RELAY);
    assertThat(again.exitCode()).as(again.describe()).isZero();
    assertThat(again.stdout()).as(again.describe()).isEqualTo("troupe: relay is not running\n");
  }

  @Test
  @Order(2)
  void aServiceStartsWithTheOperatorsJvmOptionsAfterTheShippedFlags() {
    // when the relay is started again with options that name another collector and a property
    Run start = restartTheRelayWith("-XX:+UseSerialGC -Dtroupe.test.option=on");

    // then it serves, and its JVM runs with them last and with one collector (the JVM refuses two)
    assertThat(start.exitCode()).as(start.describe()).isZero();
    List<String> args = List.of(topology.running(Service.RELAY).info().arguments().orElseThrow());
    assertThat(args).as("the relay's JVM arguments").contains("-XX:+UseSerialGC", "-Dtroupe.test.option=on")
        .doesNotContain("-XX:+UseParallelGC");
    assertThat(args.indexOf("-Dtroupe.test.option=on")).isGreaterThan(args.indexOf("-XX:MaxNewSize=40m"));
    Run stop = topology.stop(Service.RELAY); // the next test's `up` starts it with the shipped flags
    assertThat(stop.exitCode()).as(stop.describe()).isZero();
  }

  @Test
  @Order(3)
  void serviceJvmOptionsTheJvmRefusesAreToldAtOnceAndNothingIsStarted() {
    // when the relay is started again with an option the JVM does not know
    Run start = restartTheRelayWith("-XX:+UseSerialGC -XX:+NoSuchTroupeOption");

    // then the script says so in the JVM's words, with a usage error, before a keeper is started (one
    // would retry a JVM that exits with code 1 up to its limit)
    assertThat(start.exitCode()).as(start.describe()).isEqualTo(2);
    assertThat(start.stderr()).as(start.describe()).contains("TROUPE_SERVICE_JVM_OPTS: the JVM refuses the service"
        + " JVMs' options (-XX:+UseSerialGC -XX:+NoSuchTroupeOption): Unrecognized VM option 'NoSuchTroupeOption'");
    assertThat(start.elapsed()).as(start.describe()).isLessThan(Duration.ofSeconds(10));
    assertThat(topology.keeper(Service.RELAY)).as("the relay's keeper").isEmpty();
    Run status = topology.troupe("status");
    assertThat(status.stdout()).as(status.describe()).contains("relay: stopped");
  }

  /** Stops the relay, then `troupe start relay` with {@code TROUPE_SERVICE_JVM_OPTS} set to {@code options}. */
  private static Run restartTheRelayWith(String options) {
    Run stopped = topology.stop(Service.RELAY);
    assertThat(stopped.exitCode()).as(stopped.describe()).isZero();
    return topology.run(List.of("bash", "scripts/troupe", "start", "relay"), Map.of("TROUPE_SERVICE_JVM_OPTS", options),
        Duration.ofSeconds(90));
  }

  @Test
  @Order(Integer.MAX_VALUE) // it stops the topology
  void withoutItsPidFilesATopologyIsStillSeenByStatusAndUpAndStoppedWholeByDown() throws IOException {
    // given: a whole topology with its worker JVMs, whose PID files are deleted
    topology.awaitPoolSettled(2, Duration.ofSeconds(60));
    Map<Service, ProcessHandle> jvms = new EnumMap<>(Service.class);
    Map<Service, ProcessHandle> keepers = new EnumMap<>(Service.class);
    for (Service s : Service.values()) {
      jvms.put(s, topology.running(s));
      keepers.put(s, topology.keeper(s).orElseThrow());
    }
    Set<ProcessHandle> workers = topology.workerJvms();
    assertThat(workers).as("worker JVMs of the warm pool").isNotEmpty();
    Set<ProcessHandle> services = RunDirProcesses.of(topology.runDir());
    assertThat(services).as("the JVMs and keepers naming the run dir")
        .containsExactlyInAnyOrderElementsOf(Stream.concat(jvms.values().stream(), keepers.values().stream()).toList());
    try (Stream<Path> files = Files.list(topology.runDir())) {
      for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".pid")).toList()) {
        Files.delete(p);
      }
    }

    // when / then: `status` says what runs
    Run status = topology.troupe("status");
    assertThat(status.exitCode()).as(status.describe()).isZero();
    for (Service s : Service.values()) {
      assertThat(status.stdout()).as(status.describe())
          .contains(s.scriptName() + ": running " + pids(jvms.get(s), keepers.get(s)));
    }

    // when / then: `up` sees them running and starts nothing
    Run up = topology.troupe("up");
    assertThat(up.exitCode()).as(up.describe()).isZero();
    for (Service s : Service.values()) {
      assertThat(up.stdout()).as(up.describe())
          .contains("troupe: " + s.scriptName() + " already running " + pids(jvms.get(s), keepers.get(s)));
    }
    assertThat(RunDirProcesses.of(topology.runDir())).as(up.describe()).isEqualTo(services);

    // when / then: `down` stops every one of them, each on TERM, the worker JVMs with their launcher
    Run down = topology.down();
    assertThat(down.exitCode()).as(down.describe()).isZero();
    for (Service s : Service.values()) {
      assertThat(down.stdout()).as(down.describe())
          .contains("troupe: " + s.scriptName() + " stopped " + pids(jvms.get(s), keepers.get(s)));
    }
    assertThat(down.stderr()).as("nothing had to be killed: " + down.describe()).doesNotContain("killing");
    List<ProcessHandle> all = new ArrayList<>(services);
    all.addAll(workers);
    List<ProcessHandle> left = Topology.stillAliveAfter(all, Duration.ofSeconds(2));
    assertThat(left).as("alive 2 s after `troupe down`: %s", Topology.describe(left)).isEmpty();

    // and a second `down` says there is nothing to stop
    Run again = topology.down();
    assertThat(again.exitCode()).as(again.describe()).isZero();
    assertThat(again.stdout()).as(again.describe())
        .isEqualTo("troupe: nothing to stop: no service of run dir " + topology.runDir().toRealPath() + " is running\n");
  }

  @Test
  void upRefusesAtOnceWhenAnotherProgramHoldsAPortNamingThePortAndTheProgram() throws IOException {
    try (Topology other = Topology.named("scripts-port-taken").build();
        ServerSocket held = new ServerSocket(other.port(Service.LAUNCHER), 1, InetAddress.getLoopbackAddress())) {
      // given: the launcher's port held by this test's JVM

      // when
      Run up = other.troupe("up");

      // then: it says so before starting anything, instead of waiting for a launcher that cannot bind
      System.out.printf("`up` with a taken port: exit %d after %d ms%n", up.exitCode(), up.elapsed().toMillis());
      assertThat(up.exitCode()).as(up.describe()).isNotZero();
      assertThat(up.stderr()).as(up.describe())
          .contains("troupe: launcher: port " + other.address(Service.LAUNCHER) + " is taken by pid "
              + ProcessHandle.current().pid() + " (")
          .contains("not starting anything");
      assertThat(up.elapsed()).as(up.describe()).isLessThan(Duration.ofSeconds(20));
      assertThat(RunDirProcesses.of(other.runDir())).as("processes of the run dir after the refused `up`").isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "--no-such-option | Unknown option: '--no-such-option'",
      // a worker JVM option the JVM does not know: every worker JVM would exit at once, so the launcher
      // asks the JVM at its start
      "--worker-jvm-option=-XX:+NoSuchTroupeOption | --worker-jvm-option: the JVM refuses the worker JVMs'"
          + " options [-XX:+NoSuchTroupeOption]: Unrecognized VM option 'NoSuchTroupeOption'"})
  void upEndsAsSoonAsTheKeeperGivesUpOnAServiceThatCannotStartAndStopsWhatItStarted(String badArgument, String said) {
    try (Topology broken = Topology.named("scripts-cannot-start").launcherArgs(badArgument).build()) {
      // given: a launcher that exits with a usage error at once (which its keeper does not retry), a
      // keeper limit of 2 failed starts, and a start timeout of 120 s

      // when
      Run up = broken.run(List.of("bash", "scripts/troupe", "up"),
          Map.of("TROUPE_KEEPER_MAX_FAILED_STARTS", "2", "TROUPE_START_TIMEOUT", "120"), Duration.ofSeconds(150));

      // then: it fails when the keeper gives up, not when the start timeout runs out
      System.out.printf("`up` with a launcher that cannot start: exit %d after %d ms%n", up.exitCode(),
          up.elapsed().toMillis());
      assertThat(up.exitCode()).as(up.describe()).isNotZero();
      assertThat(up.stderr()).as(up.describe())
          .contains("troupe: launcher failed to start and its keeper gave up; last log lines")
          .contains("worker-launcher: " + said)
          .contains("exited with code 2 before it listened on port " + broken.port(Service.LAUNCHER)
              + ": its options are wrong");
      // and the error is not buried under the option list (the lines shown are the log's last 20)
      assertThat(up.stderr()).as(up.describe()).contains("worker-launcher: --help lists its options")
          .doesNotContain("--worker-heap-mb=");
      assertThat(up.elapsed()).as(up.describe()).isLessThan(Duration.ofSeconds(60));
      // and the registry it had started is stopped again
      assertThat(up.stdout()).as(up.describe()).contains("troupe: registry stopped (jvm pid ");
      List<ProcessHandle> left = Topology.stillAliveAfter(RunDirProcesses.of(broken.runDir()), Duration.ofSeconds(2));
      assertThat(left).as("processes of the run dir after the failed `up`: %s", Topology.describe(left)).isEmpty();
    }
  }

  @Test
  void statusAndWatchWithNothingRunningSayWhyInOneLineAndFail() {
    try (Topology nothingUp = Topology.named("scripts-nothing-up").build()) {
      // given: no service of this run dir runs, nothing listens on its ports

      // when
      Run status = nothingUp.troupe("status");
      Run watch = nothingUp.troupe("watch", "{app:processes|0x00001}");

      // then
      String registry = nothingUp.address(Service.REGISTRY);
      assertThat(status.exitCode()).as(status.describe()).isNotZero();
      assertThat(status.lines()).as(status.describe())
          .containsExactly("registry: stopped", "launcher: stopped", "relay: stopped");
      assertThat(status.stderr().lines().toList()).as(status.describe()).singleElement().asString()
          .startsWith("troupe-admin: the registry at " + registry + " did not answer (UNAVAILABLE: ")
          .contains("is the topology up?");
      assertThat(watch.exitCode()).as(watch.describe()).isNotZero();
      assertThat(watch.stdout()).as(watch.describe()).isEmpty();
      assertThat(watch.stderr().lines().toList()).as(watch.describe()).singleElement().asString()
          .startsWith("troupe-admin: cannot watch {app:processes|0x00001}: the node at " + registry
              + " did not answer (UNAVAILABLE: ");
    }
  }

  private static String pids(ProcessHandle jvm, ProcessHandle keeper) {
    return "(jvm pid " + jvm.pid() + ", keeper pid " + keeper.pid() + ")";
  }
}
