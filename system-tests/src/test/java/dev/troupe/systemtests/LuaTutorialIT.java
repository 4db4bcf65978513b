package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.troupe.systemtests.Topology.Run;
import dev.troupe.systemtests.Topology.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The tutorial as written: its Lua files run unchanged on Troupe's worker JVMs through
 * {@code scripts/troupe run -x app:terminal/app:cli}, in the folder that holds them, as the tutorial's
 * reader runs {@code wippy run -x app:terminal/app:cli}; and the project's own Lua Echo serves the Java
 * CLI and the Python client as well as its Lua CLI.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LuaTutorialIT {
  private static final String WORKER_LINE = "  from worker: \\{app:processes\\|0x[0-9a-f]{5,}\\}";
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(120);
  @RegisterExtension
  static final Topology topology = Topology.named("lua-tutorial").notStarted().build();

  /** {@code printf INPUT | troupe run -x ENTRY} in {@code project}. */
  private static Run runEntry(Path project, String input, String entry) {
    return topology.run(List.of("bash", "-c", "cd \"$PROJECT\" && printf '%s' \"$INPUT\" | \"$TROUPE\" run -x \"$ENTRY\""),
        Map.of("PROJECT", project.toString(), "INPUT", input, "ENTRY", entry,
            "TROUPE", Topology.repoRoot().resolve("scripts/troupe").toString()), RUN_TIMEOUT);
  }

  /** The lines of the CLI's output without the escape characters (the seed's colour codes lost their rest). */
  private static List<String> plainLines(Run run) {
    return run.stdout().replace("\u001b", "").lines().toList();
  }

  @Test
  void theTutorialsUnchangedFilesAnswerOnTheTerminal() throws Exception {
    Optional<Path> seed = TutorialSources.seed(Topology.repoRoot());
    assumeThat(seed).as("the tutorial's text, ../shared/seeds/002_*.txt (present in CI)").isPresent();
    Path project = topology.runDir().resolve("tutorial");
    TutorialSources.extract(seed.get(), project);
    assertThat(Files.readString(project.resolve("src/_index.yaml"))).contains("kind: process.lua")
        .contains("source: file://worker.lua").contains("name: relay-service");

    Run run = runEntry(project, "hello world\n", "app:terminal/app:cli");

    assertThat(run.exitCode()).as(run.describe()).isZero();
    List<String> lines = plainLines(run);
    assertThat(lines.get(0)).as(run.describe()).isEqualTo("Echo Client");
    assertThat(lines).as(run.describe()).contains(">   HELLO WORLD").contains("Goodbye!");
    assertThat(lines).as(run.describe()).anyMatch(l -> l.matches(WORKER_LINE));
    assertThat(run.stdout()).as(run.describe()).doesNotContain("timeout").doesNotContain("error");
    assertThat(run.stderr()).as("what the run started, it stopped\n" + run.describe())
        .contains("troupe: launcher up").contains("troupe: launcher stopped").contains("troupe: registry stopped");
    assertThat(topology.logLines(Service.LAUNCHER)).as("the Lua relay's own log line")
        .anyMatch(l -> l.contains("relay started {pid={app:processes|0x"));
  }

  @Test
  void theLuaEchoServesItsLuaCliTheJavaCliAndThePythonClient() throws Exception {
    Path project = Topology.repoRoot().resolve("examples/echo-lua");
    try (LiveCli lua = topology.troupeLive(project, "run", "-x", "app:terminal/app:cli")) {
      lua.awaitLine(l -> l.contains("Echo Client"), "the Lua CLI's banner", Duration.ofSeconds(90));
      String launcher = topology.address(Service.LAUNCHER);

      Run java = topology.cliThroughPipe("hello from java\n", Map.of(), Duration.ofSeconds(60),
          Stream.concat(Stream.of("--connect", launcher), Topology.PATIENT_REPLY.stream())
              .toArray(String[]::new));
      assertThat(java.exitCode()).as(java.describe()).isZero();
      assertThat(java.lines()).as(java.describe()).contains("  HELLO FROM JAVA").anyMatch(l -> l.matches(WORKER_LINE));

      boolean python = PythonClientIT.pythonCanImportGrpc();
      assertThat(python || System.getenv("CI") == null).as("in CI, /usr/bin/python3 has grpc (.ci/run installs it)")
          .isTrue();
      if (python) {
        Run py = topology.run(List.of("bash", "-c", "printf 'hello from python\\n' | /usr/bin/python3"
            + " clients/python/examples/echo_client.py --connect " + launcher), Map.of(), Duration.ofSeconds(60));
        assertThat(py.exitCode()).as(py.describe()).isZero();
        assertThat(py.lines()).as(py.describe()).contains("  HELLO FROM PYTHON").anyMatch(l -> l.matches(WORKER_LINE));
      }

      lua.type("hello from lua");
      lua.awaitLine(l -> l.contains("HELLO FROM LUA"), "the Lua CLI's answer", Duration.ofSeconds(30));
      lua.endInput();
      assertThat(lua.awaitExit(Duration.ofSeconds(60))).as(lua.describe()).isZero();
      assertThat(lua.transcript()).as(lua.describe()).anyMatch(l -> l.matches(WORKER_LINE));
    }
  }

  @Test
  void runDashXOutsideAProjectSaysWhereTheIndexShouldBe() {
    Run run = runEntry(topology.runDir(), "", "app:cli");

    assertThat(run.exitCode()).as(run.describe()).isNotZero();
    assertThat(run.stderr()).as(run.describe()).contains("src/_index.yaml").contains("TROUPE_PROJECT");
  }
}
