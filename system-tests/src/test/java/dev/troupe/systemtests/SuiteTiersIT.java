package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.systemtests.Topology.Run;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * scripts/test.sh's tiers and its report, with a Maven and a Python on the PATH that record how they
 * were called and pass or fail as told (the real ones would run the whole suite from inside it).
 * Its name does not start with "Test": surefire would take it for a unit test of the fast tier.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SuiteTiersIT {
  /** Records its arguments; exits with $FAKE_MVN_EXIT. */
  private static final String FAKE_MVN = """
      #!/bin/sh
      echo "$*" >> "$FAKE_CALLS/mvn"
      exit "${FAKE_MVN_EXIT:-0}"
      """;
  /** Has grpc (the import check passes); for unittest, records the call and passes or fails as told. */
  private static final String FAKE_PYTHON = """
      #!/bin/sh
      case "$1" in
        -c) exit 0 ;;
        -m) echo "$*" >> "$FAKE_CALLS/python"
            if [ "${FAKE_PYTHON_EXIT:-0}" = 0 ]; then printf 'Ran 3 tests in 0.010s\\n\\nOK\\n' >&2; exit 0; fi
            printf 'Ran 3 tests in 0.010s\\n\\nFAILED (failures=1)\\n' >&2; exit 1 ;;
      esac
      exit 2
      """;
  private static final AtomicInteger CALLS = new AtomicInteger();
  private static Topology scratch;
  private static Path bin;

  @BeforeAll
  static void fakeMavenAndPython() throws IOException {
    scratch = Topology.named("test-tiers").build(); // only its run dir and its way of running scripts
    bin = Files.createDirectories(scratch.runDir().resolve("bin"));
    write(bin.resolve("mvn"), FAKE_MVN);
    write(bin.resolve("python3"), FAKE_PYTHON);
  }

  @AfterAll
  static void cleanUp() {
    if (scratch != null) {
      scratch.close();
    }
  }

  /** What test.sh did: its run, and the calls of Maven and Python it made. */
  private record Tier(Run run, List<String> mvn, List<String> python) {}

  private static Tier testSh(int mvnExit, int pythonExit, String... args) {
    Path calls = scratch.runDir().resolve("calls-" + CALLS.incrementAndGet());
    try {
      Files.createDirectories(calls);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> env = new HashMap<>();
    env.put("PATH", bin + ":" + System.getenv("PATH"));
    env.put("TROUPE_PYTHON", bin.resolve("python3").toString());
    env.put("FAKE_CALLS", calls.toString());
    env.put("FAKE_MVN_EXIT", Integer.toString(mvnExit));
    env.put("FAKE_PYTHON_EXIT", Integer.toString(pythonExit));
    env.put("CI", "");
    List<String> cmd = new ArrayList<>(List.of("bash", "scripts/test.sh"));
    cmd.addAll(List.of(args));
    Run run = scratch.run(cmd, env, Duration.ofSeconds(45));
    return new Tier(run, lines(calls.resolve("mvn")), lines(calls.resolve("python")));
  }

  @Test
  void theFastTierRunsMavenWithoutTheMultiJvmSystemTestsAndThenThePythonTests() {
    // when
    Tier t = testSh(0, 0, "--fast");

    // then
    assertThat(t.mvn()).as(t.run().describe()).containsExactly("-B verify -DskipITs");
    assertThat(t.python()).as(t.run().describe()).hasSize(1);
    assertThat(t.run().exitCode()).as(t.run().describe()).isZero();
    assertThat(t.run().lines()).as(t.run().describe()).contains("maven: passed", "python-client: 3 passed, 0 failed");
  }

  @Test
  void theFullTierRunsEveryMavenTestAndThenThePythonTests() {
    // when
    Tier t = testSh(0, 0);

    // then
    assertThat(t.mvn()).as(t.run().describe()).containsExactly("-B verify");
    assertThat(t.python()).as(t.run().describe()).hasSize(1);
    assertThat(t.run().exitCode()).as(t.run().describe()).isZero();
  }

  @Test
  void whenAMavenTestFailsThePythonTestsStillRunAndBothAreReportedAndTheRunFails() {
    // when
    Tier t = testSh(1, 0);

    // then
    assertThat(t.python()).as("the Python tests ran after Maven failed\n" + t.run().describe()).hasSize(1);
    assertThat(t.run().exitCode()).as(t.run().describe()).isNotZero();
    assertThat(t.run().lines()).as(t.run().describe())
        .contains("maven: FAILED (mvn exit code 1; see the Maven output above)", "python-client: 3 passed, 0 failed");
  }

  @Test
  void whenAPythonTestFailsTheRunFails() {
    // when
    Tier t = testSh(0, 1, "--fast");

    // then
    assertThat(t.run().exitCode()).as(t.run().describe()).isNotZero();
    assertThat(t.run().lines()).as(t.run().describe()).contains("maven: passed")
        .anyMatch(l -> l.startsWith("python-client: FAILED: FAILED (failures=1) of 3"));
  }

  @Test
  void extraArgumentsGoToMavenAfterTheTiersOwnAndLeaveThePythonTestsOut() {
    // when
    Tier fast = testSh(0, 0, "--fast", "-pl", "runtime", "-Dtest=SmokeTest");
    Tier full = testSh(0, 0, "-pl", "runtime");

    // then
    assertThat(fast.mvn()).as(fast.run().describe()).containsExactly("-B verify -DskipITs -pl runtime -Dtest=SmokeTest");
    assertThat(full.mvn()).as(full.run().describe()).containsExactly("-B verify -pl runtime");
    assertThat(fast.python()).as(fast.run().describe()).isEmpty();
    assertThat(full.python()).as(full.run().describe()).isEmpty();
    assertThat(fast.run().lines()).as(fast.run().describe())
        .contains("python-client: not run (extra Maven arguments were given)");
  }

  private static void write(Path file, String script) throws IOException {
    Files.writeString(file, script);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
