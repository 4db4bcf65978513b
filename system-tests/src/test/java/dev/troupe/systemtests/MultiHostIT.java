package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.systemtests.Hosts.Result;
import dev.troupe.systemtests.Hosts.Started;
import dev.troupe.systemtests.Hosts.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The topology across four hosts of a network the test makes ({@link TestNetwork}): the registry on
 * host 1, the worker launcher on host 2, the relay on host 3, and {@code cli-client --connect} to the
 * relay from host 4, as the tutorial's users run it against a remote relay; then the faults that only
 * a network has. Each host has its own run directory and the same secrets, as machines that share
 * their ~/.troupe files.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHostIT {
  private static final int REGISTRY = 1;
  private static final int LAUNCHER = 2;
  private static final int RELAY = 3;
  private static final int CLIENT = 4;
  private static final String HOLDER = "holder";
  private static Hosts hosts;
  private static TestNetwork net;

  @BeforeAll
  static void fourHostsWithTheirServices() throws Exception {
    hosts = Hosts.create("multi-host", 4, host -> Map.of("TROUPE_REGISTRY", hosts.address(REGISTRY) + ":7400",
        "TROUPE_TOPOLOGY", hosts.work.resolve("topology.yaml").toString()));
    net = hosts.net;
    Path work = hosts.work;
    // The launcher's topology: the Echo's entries, and a Lua service that holds a name on its host.
    Files.writeString(work.resolve("holder.lua"), """
        local function main()
            process.registry.register("holder")
            local inbox = process.inbox()
            while true do inbox:receive() end
        end
        return { main = main }
        """);
    Files.writeString(work.resolve("topology.yaml"), """
        namespace: app
        entries:
          - {name: processes, kind: process.host}
          - {name: worker, kind: process.java, class: dev.troupe.examples.echo.EchoWorker}
          - {name: holder, kind: process.lua, source: "file://holder.lua", modules: [process]}
          - name: holder-service
            kind: process.service
            process: app:holder
            host: app:processes
            lifecycle: {auto_start: true}
        """);
    Hosts.assertStarted(troupe(REGISTRY, "start", "registry"));
    Hosts.assertStarted(troupe(LAUNCHER, "start", "launcher"));
    Hosts.assertStarted(troupe(RELAY, "start", "relay"));
  }

  @AfterAll
  @Timeout(value = 400, unit = TimeUnit.SECONDS) // three `down`s of up to 90 s each, then the network
  static void stopEverything() {
    if (hosts != null) {
      hosts.down(RELAY, LAUNCHER, REGISTRY);
    }
  }

  // ---------------------------------------------------------------- the tests

  @Test
  @Order(1)
  void anEchoFromTheFourthHostIsAnsweredByAWorkerOnTheSecond() {
    Result cli = patientCli("hello hosts\n");

    assertThat(cli.code()).as(cli.describe()).isZero();
    assertThat(cli.stdout()).as(cli.describe()).contains("  HELLO HOSTS")
        .containsPattern("from worker: \\{app:processes\\|0x[0-9a-f]+\\}");
  }

  @Test
  @Order(2)
  void onALinkThatLosesAFifthOfItsPacketsEchoesSlowDownButEachAnswerReachesItsAskerOnce() throws Exception {
    // given: two CLIs on the clients' host, attached (the loss starts once they are: it is about echoes
    // on a lossy link, not about connecting through one). Its link carries requests and answers, and
    // no node's heartbeat, which a loss could by bad luck delay past the registry's 2.5 s.
    Started alpha = startCli();
    Started beta = startCli();
    try {
      alpha.awaitOutput("Type messages", Duration.ofSeconds(60));
      beta.awaitOutput("Type messages", Duration.ofSeconds(60));

      // when
      net.loss(CLIENT, 0.2);
      alpha.finishInput(lines("alpha", 8));
      beta.finishInput(lines("beta", 8));

      // then
      for (var run : List.of(Map.entry("alpha", alpha.await(Duration.ofSeconds(120))),
          Map.entry("beta", beta.await(Duration.ofSeconds(120))))) {
        Result r = run.getValue();
        List<String> answers = r.stdout().lines().filter(l -> l.matches("  [A-Z]+-\\d+")).map(String::strip).toList();
        String own = run.getKey().toUpperCase();
        assertThat(answers).as("only its own lines come back\n" + r.describe()).allMatch(x -> x.startsWith(own + "-"));
        assertThat(answers).as("none twice\n" + r.describe()).doesNotHaveDuplicates();
        assertThat(answers).as("in the order asked\n" + r.describe())
            .isSortedAccordingTo((x, y) -> Integer.compare(number(x), number(y)));
        assertThat(answers).as("the link still carries echoes\n" + r.describe()).isNotEmpty();
      }
    } finally {
      net.heal(CLIENT);
      alpha.process().destroyForcibly();
      beta.process().destroyForcibly();
    }
  }

  @Test
  @Order(3)
  void aSilentlyPartitionedLauncherIsLostWithinThreeSecondsItsNamesFreedAndAfterHealingItsOldIncarnationStops()
      throws Exception {
    // given: the holder's name is held on the launcher's host
    awaitStatus(s -> s.names().containsKey(HOLDER), "the holder registered", Duration.ofSeconds(60));
    long launcherJvm = Long.parseLong(Files.readString(runDir(LAUNCHER).resolve("launcher.pid")).strip());
    int lostBefore = lostLines().size();

    // when: its host falls silent (no FIN, no RST)
    LocalDateTime partitioned = LocalDateTime.now();
    net.partition(LAUNCHER);
    Status whilePartitioned;
    try {
      // then: the registry declares it lost within 3 s, once, and its names are free
      List<String> lost = awaitLostLines(lostBefore, Duration.ofSeconds(30));
      String launcherLost = lost.stream().filter(l -> l.contains(" launcher#")).findFirst().orElseThrow();
      LocalDateTime declared = Hosts.logTime(launcherLost);
      Duration took = Duration.between(partitioned, declared);
      System.out.printf("partition to NODE_LOST of the launcher: %d ms%n", took.toMillis());
      assertThat(took).as(launcherLost).isLessThanOrEqualTo(Duration.ofSeconds(3));
      whilePartitioned = awaitStatus(s -> !s.names().containsKey(HOLDER), "the holder's name released",
          Duration.ofSeconds(10));
      assertThat(whilePartitioned.nodes()).as(whilePartitioned.text()).noneMatch(n -> n.startsWith("launcher"));
    } finally {
      net.heal(LAUNCHER);
    }

    // and after healing: the old incarnation stops itself; its keeper starts a new one, whose holder
    // takes the name again
    Hosts.assertEndsByItself(launcherJvm, "the launcher's JVM, after the partition healed");
    Status after = awaitStatus(s -> s.names().containsKey(HOLDER), "the holder registered again", Duration.ofSeconds(90));
    assertThat(after.names().get(HOLDER)).startsWith("{app:processes|");
    List<String> allLost = lostLines();
    String oldLife = allLost.subList(lostBefore, allLost.size()).stream().filter(l -> l.contains(" launcher#"))
        .findFirst().orElseThrow().replaceFirst(".* node (launcher#\\p{XDigit}+) lost.*", "$1");
    assertThat(allLost.stream().filter(l -> l.contains(" " + oldLife + " lost")).count())
        .as("the old life is declared lost once, and never joins again").isEqualTo(1);
    Result cli = patientCli("after the partition\n");
    assertThat(cli.stdout()).as(cli.describe()).contains("  AFTER THE PARTITION");
  }

  @Test
  @Order(4)
  void whileTheRegistrysHostIsCutOffEchoesGoOnAndAfterItHealsEachNodeStopsAndComesBackAsANewLife()
      throws Exception {
    // given
    long relayJvm = Long.parseLong(Files.readString(runDir(RELAY).resolve("relay.pid")).strip());
    long launcherJvm = Long.parseLong(Files.readString(runDir(LAUNCHER).resolve("launcher.pid")).strip());
    Status before = awaitStatus(s -> s.nodes().contains("relay") && s.nodes().contains("launcher")
        && s.incarnations().containsKey("relay") && s.incarnations().containsKey("launcher") && s.names().containsKey(HOLDER), "the relay and the launcher listed", Duration.ofSeconds(90));
    String relayBefore = relayLabel(before);
    String launcherBefore = before.incarnations().get("launcher");
    int lostBefore = lostLines().size();

    // when: the registry's host falls silent
    net.partition(REGISTRY);
    Result during;
    try {
      // then: echoes go on (nodes serve names and hosts from their caches)
      during = cli("during the cut\n");
      assertThat(during.stdout()).as(during.describe()).contains("  DURING THE CUT");
      // and the registry, which hears no one, declares the relay and the launcher lost
      for (String life : List.of(relayBefore, launcherBefore)) {
        await("the registry declares " + life + " lost").atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> newLines(lostBefore).stream().anyMatch(l -> l.contains(" " + life + " lost")));
      }
    } finally {
      net.heal(REGISTRY);
    }

    // and after healing: those lives were reported dead, so they stop (they are not let back in) and
    // their keepers start new ones; the echo waits for both, the launcher's serving app:processes again
    Hosts.assertEndsByItself(relayJvm, "the relay's JVM, after the cut healed");
    Hosts.assertEndsByItself(launcherJvm, "the launcher's JVM, after the cut healed");
    Status after = awaitStatus(s -> s.nodes().contains("relay") && !relayLabel(s).equals(relayBefore)
        && s.nodes().contains("launcher") && !launcherBefore.equals(s.incarnations().get("launcher"))
        && s.names().containsKey("relay") && s.names().containsKey(HOLDER),
        "new lives of the relay and the launcher registered", Duration.ofSeconds(90));
    for (String life : List.of(relayBefore, launcherBefore)) {
      assertThat(lostLines().stream().filter(l -> l.contains(" " + life + " lost")).count())
          .as("the old life %s is declared lost once, and never joins again\n%s", life, after.text()).isEqualTo(1);
    }
    Result cli = patientCli("after the cut\n");
    assertThat(cli.stdout()).as(cli.describe()).contains("  AFTER THE CUT");
  }

  // ---------------------------------------------------------------- helpers

  private static String lines(String word, int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      b.append(word).append('-').append(i).append('\n');
    }
    return b.toString();
  }

  private static int number(String answer) {
    return Integer.parseInt(answer.substring(answer.indexOf('-') + 1));
  }

  private static Path runDir(int host) {
    return hosts.runDir(host);
  }

  private static Started startCli() throws IOException {
    return hosts.start(CLIENT, hosts.cliCommand(RELAY));
  }

  private static Result troupe(int host, String... args) {
    return hosts.troupe(host, args);
  }

  /** cli-client on host 4, attached to the relay's node on host 3. */
  private static Result cli(String input) {
    return hosts.cli(CLIENT, RELAY, input);
  }

  /** The same, patient for its replies: after a start or a recovery. */
  private static Result patientCli(String input) {
    return hosts.patientCli(CLIENT, RELAY, input);
  }

  private static Status awaitStatus(Predicate<Status> holds, String what, Duration within) throws InterruptedException {
    return hosts.awaitStatus(CLIENT, holds, what, within);
  }

  /** The relay node's label (name#incarnation) as the registry lists it. */
  private static String relayLabel() throws InterruptedException {
    return relayLabel(awaitStatus(s -> s.nodes().contains("relay"), "the relay listed", Duration.ofSeconds(60)));
  }

  private static String relayLabel(Status s) {
    return s.incarnations().getOrDefault("relay", "");
  }

  /** The registry's log lines that declare a node lost. */
  private static List<String> lostLines() throws IOException {
    return hosts.lostLines(REGISTRY);
  }

  /** The lost lines after the first {@code before}, from one reading of the log. */
  private static List<String> newLines(int before) throws IOException {
    List<String> all = lostLines();
    return all.subList(Math.min(before, all.size()), all.size());
  }

  private static List<String> awaitLostLines(int before, Duration within) {
    return await("the registry declares the launcher lost").atMost(within).pollInterval(Duration.ofMillis(100))
        .until(() -> newLines(before), lines -> lines.stream().anyMatch(l -> l.contains(" launcher#")));
  }
}
