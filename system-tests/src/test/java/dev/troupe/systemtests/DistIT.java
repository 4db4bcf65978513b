package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.systemtests.Topology.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release ({@code scripts/build.sh --dist}): a tarball a user unpacks anywhere and runs the Echo
 * from, with each jar once and each program on its own class path.
 */
class DistIT {
  @TempDir
  static Path work;
  private static Path unpacked;

  @BeforeAll
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  static void packAndUnpackTheRelease() throws IOException, InterruptedException {
    Path out = work.resolve("dist");
    Path root = Path.of(System.getProperty("user.dir")).getParent();
    run(root, List.of("scripts/build.sh", "--dist"), Map.of("TROUPE_NO_BUILD", "1", "TROUPE_DIST_DIR", out.toString()));
    Path tarball;
    try (Stream<Path> files = Files.list(out)) {
      tarball = files.filter(f -> f.getFileName().toString().matches("troupe-.*\\.tar\\.gz")).findFirst()
          .orElseThrow(() -> new AssertionError("no troupe-*.tar.gz in " + out));
    }
    Path into = Files.createDirectories(work.resolve("opt"));
    run(into, List.of("tar", "-xzf", tarball.toString()), Map.of());
    unpacked = into.resolve(tarball.getFileName().toString().replace(".tar.gz", ""));
  }

  @Test
  void theUnpackedReleaseRunsTheEcho() {
    try (Topology topology = Topology.named("dist").installedAt(unpacked).build()) {
      topology.up();

      Run cli = topology.cliThroughPipe("hello release\n", Map.of(), Duration.ofSeconds(60),
          Topology.PATIENT_REPLY.toArray(String[]::new));

      assertThat(cli.exitCode()).as(cli.describe()).isZero();
      assertThat(cli.stdout()).as(cli.describe()).contains("  HELLO RELEASE")
          .containsPattern("from worker: \\{app:processes\\|0x[0-9a-f]+\\}");
    }
  }

  @Test
  void theUnpackedReleaseRunsTheLuaEchoAsTheTutorialDoes() {
    try (Topology topology = Topology.named("dist-lua").installedAt(unpacked).notStarted().build()) {
      Run run = topology.run(List.of("bash", "-c",
          "cd examples/echo-lua && printf 'hello lua\\n' | ../../bin/troupe run -x app:terminal/app:cli"),
          Map.of(), Duration.ofSeconds(120));

      assertThat(run.exitCode()).as(run.describe()).isZero();
      assertThat(run.stdout()).as(run.describe()).contains("  HELLO LUA")
          .containsPattern("from worker: \\{app:processes\\|0x[0-9a-f]+\\}");
    }
  }

  @Test
  void eachJarIsShippedOnceAndTheCliIsGivenNoNode() throws IOException {
    List<String> jars;
    try (Stream<Path> files = Files.list(unpacked.resolve("lib"))) {
      jars = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".jar")).sorted().toList();
    }
    Map<String, String> byArtifact = new HashMap<>();
    for (String jar : jars) {
      String artifact = jar.replaceFirst("-\\d[^-]*(-[A-Za-z]+)?\\.jar$", "");
      assertThat(byArtifact.put(artifact, jar)).as("another version of %s beside %s", artifact, jar).isNull();
    }

    List<String> cli = Files.readAllLines(unpacked.resolve("lib/cli-client.classpath"));
    List<String> relay = Files.readAllLines(unpacked.resolve("lib/relay-service.classpath"));

    assertThat(cli).as("the CLI's class path").anyMatch(j -> j.startsWith("troupe-client-"))
        .noneMatch(j -> j.startsWith("troupe-runtime-"));
    assertThat(relay).as("the relay-service's class path").anyMatch(j -> j.startsWith("troupe-runtime-"));
    assertThat(jars).as("every jar a class path names is shipped").containsAll(cli).containsAll(relay);
  }

  private static void run(Path dir, List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
    assertThat(p.exitValue()).as("%s: %s", cmd, output).isZero();
  }
}
