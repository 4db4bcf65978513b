package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.GrpcAttach;
import dev.troupe.systemtests.Topology.Run;
import dev.troupe.systemtests.Topology.Service;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The polyglot promise, on a real topology ({@code scripts/troupe up}): the Python client in
 * {@code clients/python} speaks the same attach protocol as every Java participant. Its Echo example
 * gets a worker's answer like the Java CLI does, and a Python process that registers a name answers
 * requests from a Java process.
 *
 * <p>Needs Debian's {@code python3-grpcio} and {@code python3-grpc-tools} for {@code /usr/bin/python3};
 * skipped with a message when that Python cannot {@code import grpc} (CI installs them).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PythonClientIT {
  private static final String PYTHON = "/usr/bin/python3";
  private static final String WORKER_LINE = "  from worker: \\{app:processes\\|0x[0-9a-f]{5,}\\}";
  private static final Pattern REGISTERED = Pattern.compile("^registered (\\S+) as (\\{[^}]+\\})$");
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final AtomicInteger SERVICES = new AtomicInteger();
  @RegisterExtension
  static final Topology topology = Topology.named("python-client")
      .onlyIf(PythonClientIT::pythonCanImportGrpc, "skipped: " + PYTHON + " cannot `import grpc`; install"
          + " Debian's python3-grpcio and python3-grpc-tools (apt-get install -y python3-grpcio python3-grpc-tools)")
      .build();

  @BeforeAll
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  static void topologyAnswersEchoes() {
    topology.awaitEchoWorks(Duration.ofSeconds(60));
  }

  @Test
  void thePythonEchoClientGetsAWorkersAnswerLikeTheJavaCli() {
    // when
    Run py = topology.run(List.of("bash", "-c", "printf '%s' \"$ECHO_INPUT\" | " + PYTHON
            + " clients/python/examples/echo_client.py --connect " + registry()),
        Map.of("ECHO_INPUT", "hello world\n"), Duration.ofSeconds(60));

    // then: the same lines as scripts/cli-client prints through a pipe
    assertThat(py.exitCode()).as(py.describe()).isZero();
    List<String> lines = py.lines();
    assertThat(lines).as(py.describe()).hasSize(7);
    assertThat(lines.subList(0, 4)).as(py.describe())
        .containsExactly("Echo Client", "Type messages to echo. An empty line, Ctrl+D or Ctrl+C exits.", "", "  HELLO WORLD");
    assertThat(lines.get(4)).as(py.describe()).matches(WORKER_LINE);
    assertThat(lines.subList(5, 7)).as(py.describe()).containsExactly("", "Goodbye!");
  }

  @Test
  void aJavaProcessCallsThePythonNamedServiceByName() throws Exception {
    // given: the Python service, registered
    String name = "py-upper";
    PythonService python = PythonService.start(name);
    try (AttachedProcess java = GrpcAttach.attach(registry(), "", "java-caller", Duration.ofSeconds(10))) {
      String pythonPid = python.awaitRegistered(WAIT);
      assertThat(topology.namesListed()).as(python.describe()).containsEntry(name, pythonPid);
      java.monitor(pythonPid);

      // when: a Java process sends it a request by name
      java.send(name, "upper", Map.of("reply_to", java.pid(), "text", "hello from java"));

      // then: the answer comes from the Python process's PID, stamped by its node
      Message reply = Mail.next(java, "upper_reply", WAIT);
      assertThat(reply.from()).as(python.describe()).isEqualTo(pythonPid);
      assertThat(reply.payload()).as(python.describe())
          .isEqualTo(Map.of("text", "HELLO FROM JAVA", "by", pythonPid));

      // and without reply_to it answers the sender the node stamped: this Java process
      java.send(name, "upper", Map.of("text", "ünïcode ok"));
      assertThat(Mail.next(java, "upper_reply", WAIT).payload()).as(python.describe())
          .isEqualTo(Map.of("text", "ÜNÏCODE OK", "by", pythonPid));

      // and 'stop' ends it normally: one EXIT with its result, its name released, its OS process gone
      java.send(name, "stop");
      Event exit = Mail.exitOf(java, pythonPid, WAIT);
      assertThat(exit.result().isError()).as(exit.toString()).isFalse();
      assertThat(exit.result().value()).as(exit.toString()).isEqualTo(Map.of("served", 2L));
      assertThat(java.registry().lookup(name)).as("the name after the EXIT").isEmpty();
      assertThat(python.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as(python.describe()).isTrue();
      assertThat(python.process.exitValue()).as(python.describe()).isZero();
    } finally {
      python.stop();
    }
  }

  @Test
  void sigtermEndsThePythonServiceNormallyAndReleasesItsName() throws Exception {
    // given
    String name = "py-upper-sigterm";
    PythonService python = PythonService.start(name);
    try (AttachedProcess java = GrpcAttach.attach(registry(), "", "java-watcher", Duration.ofSeconds(10))) {
      String pythonPid = python.awaitRegistered(WAIT);
      java.monitor(pythonPid);

      // when: an operator stops it by its OS PID
      python.process.destroy();

      // then: a normal exit (its client said exit), not a crash
      Event exit = Mail.exitOf(java, pythonPid, WAIT);
      assertThat(exit.result().isError()).as(exit + "\n" + python.describe()).isFalse();
      assertThat(java.registry().lookup(name)).isEmpty();
      assertThat(python.process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as(python.describe()).isTrue();
    } finally {
      python.stop();
    }
  }

  // ---------------------------------------------------------------- helpers

  private static String registry() {
    return topology.address(Service.REGISTRY);
  }

  static boolean pythonCanImportGrpc() {
    if (!Files.isExecutable(Path.of(PYTHON))) {
      return false;
    }
    try {
      Process p = new ProcessBuilder(PYTHON, "-c", "import grpc")
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** {@code clients/python/examples/named_service.py} as a subprocess, stopped by its PID. */
  private record PythonService(Process process, BlockingQueue<String> stdout, Path stderr) {

    static PythonService start(String name) throws IOException {
      Path stderr = topology.runDir().resolve("named-service-" + SERVICES.incrementAndGet() + ".err");
      ProcessBuilder pb = new ProcessBuilder(PYTHON, "clients/python/examples/named_service.py",
          "--connect", registry(), "--name", name);
      // It finds the topology's secret in TROUPE_HOME by itself, as a user's program does in ~/.troupe.
      pb.environment().put("TROUPE_HOME", Topology.SHARED_HOME.toString());
      Process p = pb
          .directory(repoRoot().toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectError(stderr.toFile())
          .start();
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread.ofVirtual().name("named-service stdout").start(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line = r.readLine(); line != null; line = r.readLine()) {
            lines.add(line);
          }
        } catch (IOException ignored) {
          // the process ended
        }
      });
      return new PythonService(p, lines, stderr);
    }

    /** Waits for its "registered NAME as PID" line. @return the PID */
    String awaitRegistered(Duration within) throws InterruptedException {
      String line = stdout.poll(within.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(line).as("its first line within " + within.toSeconds() + " s\n" + describe()).isNotNull();
      Matcher m = REGISTERED.matcher(line);
      assertThat(m.matches()).as("'" + line + "' is 'registered NAME as PID'\n" + describe()).isTrue();
      return m.group(2);
    }

    /** Its PID and stderr, for failure messages. */
    String describe() {
      String err;
      try {
        err = Files.exists(stderr) ? Files.readString(stderr) : "";
      } catch (IOException e) {
        err = e.toString();
      }
      return "named_service.py (pid " + process.pid() + ", " + (process.isAlive() ? "alive" : "exit "
          + process.exitValue()) + ")\n--- stderr\n" + err + "---";
    }

    /** Stops it by its PID: SIGTERM, then SIGKILL if it is still there after 10 s. */
    void stop() throws InterruptedException {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(5, TimeUnit.SECONDS);
        }
      }
    }
  }

  private static Path repoRoot() {
    String prop = System.getProperty("troupe.root");
    if (prop != null) {
      return Path.of(prop).toAbsolutePath().normalize();
    }
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isExecutable(p.resolve("scripts/troupe"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new UncheckedIOException(new IOException("cannot find scripts/troupe; set -Dtroupe.root"));
    }
    return p;
  }
}
