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
  private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS");
  private static TestNetwork net;
  private static Path work;

  @BeforeAll
  static void fourHostsWithTheirServices() throws Exception {
    boolean available = TestNetwork.available();
    if (System.getenv("CI") != null) {
      assertThat(available).as("CI runs as root with iproute2 and iptables (.ci/run installs iptables)").isTrue();
    }
    assumeThat(available).as("network namespaces need root, iproute2 and iptables").isTrue();
    work = Files.createDirectories(Topology.repoRoot().resolve("system-tests/target/multi-host")
        .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("HHmmss-SSS"))));
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
    net = TestNetwork.create(4);
    assertStarted(troupe(REGISTRY, "start", "registry"));
    assertStarted(troupe(LAUNCHER, "start", "launcher"));
    assertStarted(troupe(RELAY, "start", "relay"));
  }

  @AfterAll
  @Timeout(value = 400, unit = TimeUnit.SECONDS) // three `down`s of up to 90 s each, then the network
  static void stopEverything() {
    if (net == null) {
      return;
    }
    try {
      for (int host : new int[] {RELAY, LAUNCHER, REGISTRY}) {
        troupe(host, "down");
      }
    } finally {
      net.close();
    }
  }

  // ---------------------------------------------------------------- the tests

  @Test
  @Order(1)
  void anEchoFromTheFourthHostIsAnsweredByAWorkerOnTheSecond() {
    Result cli = cli("hello hosts\n");

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
      LocalDateTime declared = LocalDateTime.parse(launcherLost.substring(0, 23), LOG_TIME);
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
    assertEndsByItself(launcherJvm, "the launcher's JVM, after the partition healed");
    Status after = awaitStatus(s -> s.names().containsKey(HOLDER), "the holder registered again", Duration.ofSeconds(90));
    assertThat(after.names().get(HOLDER)).startsWith("{app:processes|");
    List<String> allLost = lostLines();
    String oldLife = allLost.subList(lostBefore, allLost.size()).stream().filter(l -> l.contains(" launcher#"))
        .findFirst().orElseThrow().replaceFirst(".* node (launcher#\\p{XDigit}+) lost.*", "$1");
    assertThat(allLost.stream().filter(l -> l.contains(" " + oldLife + " lost")).count())
        .as("the old life is declared lost once, and never joins again").isEqualTo(1);
    Result cli = cli("after the partition\n");
    assertThat(cli.stdout()).as(cli.describe()).contains("  AFTER THE PARTITION");
  }

  @Test
  @Order(4)
  void whileTheRegistrysHostIsCutOffEchoesGoOnAndAfterItHealsEachNodeStopsAndComesBackAsANewLife()
      throws Exception {
    // given
    long relayJvm = Long.parseLong(Files.readString(runDir(RELAY).resolve("relay.pid")).strip());
    String relayBefore = relayLabel();
    int lostBefore = lostLines().size();

    // when: the registry's host falls silent
    net.partition(REGISTRY);
    Result during;
    try {
      // then: echoes go on (nodes serve names and hosts from their caches)
      during = cli("during the cut\n");
      assertThat(during.stdout()).as(during.describe()).contains("  DURING THE CUT");
      // and the registry, which hears no one, declares the relay lost
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (newLines(lostBefore).stream().noneMatch(l -> l.contains(relayBefore))) {
        assertThat(System.nanoTime()).as("the registry declares %s lost", relayBefore).isLessThan(deadline);
        Thread.sleep(100);
      }
    } finally {
      net.heal(REGISTRY);
    }

    // and after healing: that life of the relay was reported dead, so it stops (it is not let back in)
    // and its keeper starts a new one
    assertEndsByItself(relayJvm, "the relay's JVM, after the cut healed");
    Status after = awaitStatus(s -> s.names().containsKey("relay") && s.nodes().contains("relay")
        && !relayLabel(s).equals(relayBefore), "a new life of the relay registered", Duration.ofSeconds(90));
    assertThat(lostLines().stream().filter(l -> l.contains(" " + relayBefore + " lost")).count())
        .as("the old life is declared lost once, and never joins again\n" + after.text()).isEqualTo(1);
    Result cli = cli("after the cut\n");
    assertThat(cli.stdout()).as(cli.describe()).contains("  AFTER THE CUT");
  }

  // ---------------------------------------------------------------- helpers

  private record Result(int code, String stdout, String stderr) {
    String describe() {
      return "exit " + code + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
    }
  }

  /**
   * @param answered whether the registry answered (the call succeeded and listed its nodes)
   * @param incarnations node name to its label as the registry logs it, e.g. relay#3aee45c216eac7d2
   */
  private record Status(boolean answered, List<String> nodes, Map<String, String> names,
      Map<String, String> incarnations, String text) {}

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
    return work.resolve("host" + host);
  }

  /** The environment of host {@code host}: its address, its run directory, the registry on host 1. */
  private static Map<String, String> env(int host) {
    Map<String, String> e = new HashMap<>();
    e.put("TROUPE_RUN_DIR", runDir(host).toString());
    e.put("TROUPE_BIND", net.address(host));
    e.put("TROUPE_REGISTRY", net.address(REGISTRY) + ":7400");
    e.put("TROUPE_HOME", Topology.SHARED_HOME.toString());
    e.put("TROUPE_NO_BUILD", "1");
    e.put("TROUPE_START_TIMEOUT", "90");
    e.put("TROUPE_TOPOLOGY", work.resolve("topology.yaml").toString());
    String javaHome = System.getenv("JAVA_HOME");
    e.put("JAVA_HOME", javaHome != null ? javaHome : System.getProperty("java.home"));
    return e;
  }

  /** A process running in a host, its output going to files, its input a pipe the test writes to. */
  private record Started(Process process, Path out, Path err) {
    void awaitOutput(String text, Duration within) throws Exception {
      long deadline = System.nanoTime() + within.toNanos();
      while (!Files.readString(out).contains(text)) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError("'" + text + "' within " + within + "\n" + await(Duration.ZERO).describe());
        }
        Thread.sleep(100);
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

  private static Started start(int host, List<String> command) throws IOException {
    ProcessBuilder pb = net.inHost(host, command).directory(Topology.repoRoot().toFile());
    pb.environment().putAll(env(host));
    Path out = Files.createTempFile(work, "out", ".txt");
    Path err = Files.createTempFile(work, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    return new Started(pb.start(), out, err);
  }

  private static List<String> cliCommand() {
    return List.of(Topology.repoRoot().resolve("scripts/cli-client").toString(), "--connect", net.address(RELAY) + ":7402");
  }

  private static Started startCli() throws IOException {
    return start(CLIENT, cliCommand());
  }

  private static Result inHost(int host, List<String> command, String input, Duration timeout) {
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

  private static Result troupe(int host, String... args) {
    List<String> cmd = new ArrayList<>(List.of(Topology.repoRoot().resolve("scripts/troupe").toString()));
    cmd.addAll(List.of(args));
    return inHost(host, cmd, "", Duration.ofSeconds(90));
  }

  /** The OS process {@code pid} ends within 30 s, by itself. */
  private static void assertEndsByItself(long pid, String what) throws Exception {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    if (h.isPresent()) {
      assertThat(h.get().onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).get()).as("%s (pid %d) ended", what, pid)
          .isNotNull();
    }
  }

  private static void assertStarted(Result r) {
    assertThat(r.code()).as(r.describe()).isZero();
  }

  /** cli-client on host 4, attached to the relay's node on host 3. */
  private static Result cli(String input) {
    return inHost(CLIENT, cliCommand(), input, Duration.ofSeconds(120));
  }

  /** `troupe status` from host 4: nodes and names the registry on host 1 knows. */
  private static Status status() {
    Result r = inHost(CLIENT, List.of(Topology.repoRoot().resolve("scripts/troupe").toString(), "status"), "",
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

  private static Status awaitStatus(Predicate<Status> holds, String what, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    Status s = status();
    while (!s.answered() || !holds.test(s)) {
      assertThat(System.nanoTime()).as(what + " within " + within + "; last status:\n" + s.text()).isLessThan(deadline);
      Thread.sleep(500);
      s = status();
    }
    return s;
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
    Path log = runDir(REGISTRY).resolve("logs/registry.log");
    // Read as bytes: a line being written may end in half a character.
    return new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines()
        .filter(l -> l.contains("registry: node ") && l.contains(" lost: ")).toList();
  }

  /** The lost lines after the first {@code before}, from one reading of the log. */
  private static List<String> newLines(int before) throws IOException {
    List<String> all = lostLines();
    return all.subList(Math.min(before, all.size()), all.size());
  }

  private static List<String> awaitLostLines(int before, Duration within) throws Exception {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      if (newLines(before).stream().anyMatch(l -> l.contains(" launcher#"))) {
        return newLines(before);
      }
      assertThat(System.nanoTime()).as("the registry declares the launcher lost").isLessThan(deadline);
      Thread.sleep(100);
    }
  }
}
