package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.systemtests.Topology.Run;
import dev.troupe.systemtests.Topology.Service;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Echo demo through a pipe, as the README shows it: {@code printf 'hello world\n' | scripts/cli-client}
 * against a topology started with {@code scripts/troupe up}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EchoPipeIT {
  private static final String WORKER_LINE = "  from worker: \\{app:processes\\|0x[0-9a-f]{5,}\\}";
  private static final String ANY_ESCAPE = "\u001b";
  @RegisterExtension
  static final Topology topology = Topology.named("echo-pipe").build();

  /** Tests here stop services; each starts from a whole, working topology. */
  @BeforeEach
  void topologyIsUpAndEchoWorks() {
    topology.up();
    topology.awaitEchoWorks(Duration.ofSeconds(60));
  }

  @Test
  void aPipedLineIsAnsweredByAWorkerBetweenTheBannerAndGoodbye() {
    // given: the topology answers echoes (checked before each test)

    // when
    Run cli = topology.cliThroughPipe("hello world\n", Map.of("TERM", "xterm"), Duration.ofSeconds(30));

    // then
    assertThat(cli.exitCode()).as(cli.describe()).isZero();
    List<String> lines = cli.lines();
    assertThat(lines).as(cli.describe()).hasSize(8);
    assertThat(lines.get(0)).as(cli.describe()).isEqualTo("Echo Client");
    // attached by default to the relay's node, at the relay's port: a process of relay:clients
    assertThat(lines.get(1)).as(cli.describe()).matches("Attached to node relay at 127\\.0\\.0\\.1:"
        + topology.port(Service.RELAY) + " as \\{relay:clients\\|0x[0-9a-f]{5,}\\}\\.");
    assertThat(lines.subList(2, 5)).as(cli.describe())
        .containsExactly("Type messages to echo. An empty line, Ctrl+D or Ctrl+C exits.", "", "  HELLO WORLD");
    assertThat(lines.get(5)).as(cli.describe()).matches(WORKER_LINE);
    assertThat(lines.subList(6, 8)).as(cli.describe()).containsExactly("", "Goodbye!");
    assertThat(cli.stdout()).as("no colour or other escape codes when stdout is not a terminal")
        .doesNotContain(ANY_ESCAPE);
    assertThat(cli.stderr()).as(cli.describe()).isEmpty();
  }

  @Test
  void severalPipedLinesGetOneReplyEachInOrder() {
    // given: the topology answers echoes (checked before each test)

    // when
    Run cli = topology.cliThroughPipe("one\ntwo\nthree\nfour\n", Map.of(), Duration.ofSeconds(30));

    // then
    assertThat(cli.exitCode()).as(cli.describe()).isZero();
    List<String> replies = cli.lines().stream().filter(l -> l.startsWith("  ")).toList();
    assertThat(replies).as(cli.describe()).hasSize(8);
    assertThat(List.of(replies.get(0), replies.get(2), replies.get(4), replies.get(6))).as(cli.describe())
        .containsExactly("  ONE", "  TWO", "  THREE", "  FOUR");
    assertThat(List.of(replies.get(1), replies.get(3), replies.get(5), replies.get(7))).as(cli.describe())
        .allMatch(l -> l.matches(WORKER_LINE));
    assertThat(cli.stdout()).as(cli.describe()).doesNotContain("timeout").doesNotContain("error");
  }

  @Test
  void withoutARelayServiceTheCliSaysOnOneLineThatNothingAnswersAtTheRelaysAddressAndExitsWithOne() {
    // given: the relay-service, the CLI's node by default, is stopped
    Run stop = topology.stop(Service.RELAY);
    assertThat(stop.exitCode()).as(stop.describe()).isZero();
    assertThat(topology.process(Service.RELAY)).isEmpty();

    // when
    Run cli = topology.cliThroughPipe("hello world\n", Map.of(), Duration.ofSeconds(30));

    // then: it names the address it could not attach to, the relay's, on one line of stderr
    System.out.printf("CLI without relay-service: exit %d after %d ms%n", cli.exitCode(), cli.elapsed().toMillis());
    assertThat(cli.exitCode()).as(cli.describe()).isEqualTo(1);
    assertThat(cli.stdout()).as(cli.describe()).isEmpty();
    assertThat(cli.stderr().lines().toList()).as(cli.describe()).hasSize(1).first().asString()
        .startsWith("error: could not attach to " + topology.address(Service.RELAY) + ": UNAVAILABLE ");
  }

  /** The CLI is attached to the registry's node, which answers; it exits with 1. */
  @Test
  void withoutARelayTheCliSaysRelayNotReadyAfterItsFiveSecondWait() {
    // given: the relay-service is stopped, so nothing holds the name 'relay'
    Run stop = topology.stop(Service.RELAY);
    assertThat(stop.exitCode()).as(stop.describe()).isZero();
    assertThat(topology.process(Service.RELAY)).isEmpty();

    // when: a CLI attached to another node than the relay's, the registry's
    Run cli = topology.cliThroughPipe("hello world\n", Map.of(), Duration.ofSeconds(30),
        "--connect", topology.address(Service.REGISTRY));

    // then: it waits 5 s for the relay (--relay-wait-ms default), then gives up: about 6 s in all
    // with the JVM's start, which is CPU-bound (8.5 s measured with the CPU starved), so the upper
    // bound only shows that it gives up rather than waits on
    System.out.printf("CLI without relay: exit %d after %d ms%n", cli.exitCode(), cli.elapsed().toMillis());
    assertThat(cli.exitCode()).as(cli.describe()).isEqualTo(1);
    assertThat(cli.stdout()).as(cli.describe())
        .contains("relay not ready: nothing registered as 'relay' within 5000 ms")
        .doesNotContain("Echo Client")
        .doesNotContain(ANY_ESCAPE);
    assertThat(cli.elapsed()).as(cli.describe()).isBetween(Duration.ofMillis(5_000), Duration.ofMillis(30_000));
  }

  @Test
  @Order(Integer.MAX_VALUE) // last only to spare the next test a full restart
  void troupeDownStopsEveryServiceAndWorkerJvm() {
    // given: the services and the warm pool's worker JVMs
    Set<ProcessHandle> workers = topology.workerJvms();
    Set<ProcessHandle> jvms = topology.allJvms();
    assertThat(workers).as("worker JVMs of the warm pool").isNotEmpty();
    assertThat(jvms).hasSizeGreaterThanOrEqualTo(3 + workers.size());

    // when
    Run down = topology.down();

    // then: `down` waits for the services; the workers follow their launcher at once
    assertThat(down.exitCode()).as(down.describe()).isZero();
    assertThat(down.stdout()).as(down.describe())
        .containsPattern("relay (keeper )?stopped").containsPattern("launcher (keeper )?stopped")
        .containsPattern("registry (keeper )?stopped");
    List<ProcessHandle> left = Topology.stillAliveAfter(jvms, Duration.ofSeconds(2));
    assertThat(left).as("JVMs still alive 2 s after `troupe down`: %s", Topology.describe(left)).isEmpty();
    for (Service s : Service.values()) {
      assertThat(topology.process(s)).as(s + " after down").isEmpty();
    }
  }

  @Test
  void theFirstLineRightAfterAFreshUpIsAnswered() {
    try (Topology fresh = Topology.named("echo-fresh").build()) {
      // given
      fresh.up();

      // when: right away, as a user does after `scripts/troupe up` (with a reply timeout longer than
      // the tutorial's 2 s: this checks that `up` returns a topology that serves, not how fast a
      // first, cold echo is on a machine starved of CPU)
      Run cli = fresh.cliThroughPipe("hello world\n", Map.of(), Duration.ofSeconds(30),
          "--reply-timeout-ms", "10000");

      // then
      assertThat(cli.exitCode()).as(cli.describe()).isZero();
      assertThat(cli.lines()).as(cli.describe() + "\n" + fresh.diagnostics())
          .contains("  HELLO WORLD").doesNotContain("  timeout");
    }
  }
}
