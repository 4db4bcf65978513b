package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.api.channel.Received;
import dev.troupe.client.AttachedProcess;
import dev.troupe.proto.node.v1.ProcessStarted;
import dev.troupe.proto.registry.v1.NodeRecord;
import dev.troupe.systemtests.Topology.HostWatch;
import dev.troupe.systemtests.Topology.Run;
import dev.troupe.systemtests.Topology.Service;
import dev.troupe.systemtests.entries.HoldEntry;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults injected into a real topology (each service under the keeper {@code scripts/troupe} gives it)
 * while it serves: a worker JVM, the relay, the launcher and the registry killed with SIGKILL, and a
 * node frozen with SIGSTOP. Each test states the exact outcome a user or a monitor sees, and the bound
 * within which it comes; the figures measured here are printed ({@code FAULT ...} lines in
 * {@code target/failsafe-reports/dev.troupe.systemtests.FaultInjectionIT-output.txt}).
 *
 * <p>Extends, without repeating, {@link LauncherIT} (a killed worker JVM's EXIT names the signal; the
 * workers of a killed launcher exit within 2 s; NODE_LOST within 3 s) and {@link RegistryIT} (a paused
 * relay is declared lost; the nodes rejoin a registry started again by hand).
 *
 * <p>The relay's workers wait 3 s before answering ({@code --worker-delay-ms 3000}) so that an echo is
 * in flight long enough to be hit; the CLIs here wait 5 s for a reply ({@code --reply-timeout-ms}).
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultInjectionIT {
  private static final String PROCESSES = "app:processes";
  private static final String ECHO_WORKER_ENTRY = "app:worker";
  private static final Duration WORKER_DELAY = Duration.ofMillis(3_000);
  private static final String REPLY_TIMEOUT_MS = "5000";
  /** A reply to a line: the worker's 3 s, the spawn, and this loaded 2-core machine. */
  private static final Duration ANSWER = Duration.ofSeconds(8);
  private static final String BANNER = "Type messages to echo. An empty line, Ctrl+D or Ctrl+C exits.";
  private static final Pattern WORKER_LINE = Pattern.compile("  from worker: \\{app:processes\\|0x[0-9a-f]{5,}\\}");
  private static final int MIN_SPARES = 2;
  private static final AtomicLong NAMES = new AtomicLong();
  @RegisterExtension
  static final Topology topology = Topology.named("faults").relayArgs("--worker-delay-ms " + WORKER_DELAY.toMillis())
      .withTestEntries().withMetrics().build();
  /** The relay's node's count of EXITs given to its processes (the relay) for workers that crashed. */
  private static final String RELAY_EXITS_CRASHED = "troupe_process_events_total{event=\"exit\",kind=\"crashed\"}";
  private static final String RELAY_EXITS_NODE_LOST =
      "troupe_process_events_total{event=\"exit\",kind=\"node_lost\"}";

  /**
   * Every test kills or freezes something that its keeper restarts: each starts once all three
   * services run again, an echo is answered, and the launcher's pool has settled.
   */
  @BeforeEach
  void topologyIsWholeAndEchoWorks() {
    topology.awaitAllRunning(Duration.ofSeconds(30));
    topology.awaitEchoWorks(Duration.ofSeconds(60), WORKER_DELAY.plus(Duration.ofSeconds(3)));
    topology.awaitPoolSettled(MIN_SPARES, Duration.ofSeconds(60));
  }


  /** A CLI attached to the relay's node (its default), its banner printed. */
  private static LiveCli cliReady() throws InterruptedException {
    LiveCli cli = topology.cli("--reply-timeout-ms", REPLY_TIMEOUT_MS);
    cli.awaitLine(BANNER, Duration.ofSeconds(20));
    return cli;
  }

  /** A CLI attached to the node of {@code service}, its banner printed. */
  private static LiveCli cliReadyOn(Service service) throws InterruptedException {
    LiveCli cli = topology.cli("--reply-timeout-ms", REPLY_TIMEOUT_MS, "--connect", topology.address(service));
    cli.awaitLine(BANNER, Duration.ofSeconds(20));
    return cli;
  }

  /** Types {@code line} and checks the worker's answer: the line in upper case, then the worker. */
  private static Duration echoes(LiveCli cli, String line) throws InterruptedException {
    long t0 = System.nanoTime();
    cli.type(line);
    LiveCli.Line answer = cli.nextAnswer(ANSWER);
    assertThat(answer.text()).as(cli.describe()).isEqualTo("  " + line.toUpperCase());
    assertThat(cli.nextAnswer(Duration.ofSeconds(2)).text()).as(cli.describe()).matches(WORKER_LINE);
    return Duration.ofNanos(answer.atNanos() - t0);
  }

  private static long ms(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1_000_000;
  }

  private static Duration left(long t0, Duration bound) {
    Duration d = bound.minus(Duration.ofNanos(System.nanoTime() - t0));
    return d.isNegative() ? Duration.ZERO : d;
  }

  /** The next event of {@code kind} from {@code pid}, or a failure after {@code within}. */
  private static Event nextEvent(AttachedProcess client, Event.Kind kind, String pid, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      long l = deadline - System.nanoTime();
      Optional<Received<Event>> r = l > 0 ? client.events().receive(Duration.ofNanos(l)) : Optional.empty();
      if (r.isEmpty() || !r.get().ok()) {
        throw new AssertionError("expected " + kind + " of " + pid + " to reach " + client.pid() + " within "
            + within.toMillis() + " ms, but none did");
      }
      if (r.get().value().kind() == kind && pid.equals(r.get().value().from())) {
        return r.get().value();
      }
    }
  }

  /** Spawns test:hold, noting in {@code attempts} when the attempt started and ended and how. */
  private static String spawnRecorded(AttachedProcess client, long t0, List<String> attempts) {
    long start = ms(t0);
    try {
      String pid = client.spawnMonitored(HoldEntry.ID, PROCESSES, client.pid());
      attempts.add(start + "-" + ms(t0) + ": OK");
      return pid;
    } catch (TroupeException e) {
      attempts.add(start + "-" + ms(t0) + ": " + e.code());
      throw e;
    }
  }

  private static long incarnationOf(String node) {
    return topology.status().getNodesList().stream().filter(n -> n.getNode().equals(node))
        .mapToLong(NodeRecord::getIncarnation).findFirst()
        .orElseThrow(() -> new AssertionError("expected the registry to list " + node));
  }

  /**
   * A PID of a launcher's earlier life: the new incarnation's node refuses a send to it and a monitor
   * of it (NOT_FOUND), and so does a monitor from another node. A send from another node is accepted,
   * exactly as docs/protocol.md says ("success of send means queued for a live target ... for a target
   * on another node, it is on the stream to that node, and is dropped there"): what matters is that it
   * reaches no process, which the ids guarantee (a new life's ids start above every earlier one's).
   */
  private static void assertOldPidIsGone(String old, AttachedProcess elsewhere) {
    AttachedProcess onItsNode = topology.attach(Service.LAUNCHER);
    assertThatThrownBy(() -> onItsNode.send(old, "stop"))
        .as("a send to %s on its own node", old).isInstanceOf(TroupeException.class)
        .extracting(e -> ((TroupeException) e).code()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThatThrownBy(() -> onItsNode.monitor(old))
        .as("a monitor of %s on its own node", old).isInstanceOf(TroupeException.class)
        .extracting(e -> ((TroupeException) e).code()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThatThrownBy(() -> elsewhere.monitor(old))
        .as("a monitor of %s from the registry's node", old).isInstanceOf(TroupeException.class)
        .extracting(e -> ((TroupeException) e).code()).isEqualTo(ErrorCode.NOT_FOUND);
    elsewhere.send(old, "stop"); // accepted onto the peer stream, dropped by the launcher's node
  }

  // ------------------------------------------------------------------------------------ a. worker JVM

  /** The CLI prints timeout for that line, then answers the next one. */
  @Test
  @Order(1)
  void aWorkerJvmKilledMidEchoEndsItsEchoWithAnExitNamingTheSignal()
      throws InterruptedException {
    // given: a CLI whose first line is being answered by a worker (it waits 3 s), that worker
    // monitored from another node (a client of the registry's node), and the JVM that runs it
    HostWatch spawns = topology.watchHost(Service.LAUNCHER, PROCESSES);
    AttachedProcess monitor = topology.attach(Service.REGISTRY);
    LiveCli cli = cliReady();
    cli.type("first");
    ProcessStarted worker = spawns.nextStarted(ECHO_WORKER_ENTRY, Duration.ofSeconds(5));
    monitor.monitor(worker.getPid());
    // (found from the registry and /proc, in milliseconds: the kill must land within the worker's 3 s)
    ProcessHandle jvm = topology.workerJvmServing(worker.getPid()).orElseThrow(
        () -> new AssertionError("no worker JVM serves " + worker.getPid() + "\n" + topology.diagnostics()));
    assertThat(topology.workerJvms()).as("the launcher's descendants").contains(jvm);

    double relayCrashExits = topology.metric(Service.RELAY, RELAY_EXITS_CRASHED);

    // when: SIGKILL of that worker JVM while the worker waits
    long t0 = System.nanoTime();
    Topology.signal(jvm, "KILL");

    // then: the monitor gets one EXIT that names the signal (the launcher waits up to 500 ms for the
    // JVM's exit status), the relay (which monitors its workers) gets a CRASHED EXIT too, the CLI
    // prints `timeout` for that line, and its next line is answered
    Event exit = Mail.exitOf(monitor, worker.getPid(), Duration.ofSeconds(2));
    long exitMs = ms(t0);
    System.out.printf("FAULT a worker-kill: EXIT to a monitor on the registry's node %d ms after SIGKILL: %s%n",
        exitMs, exit.result());
    assertThat(exit.result().isError()).as("EXIT: %s", exit.result()).isTrue();
    assertThat(exit.result().error()).isEqualTo("worker JVM killed by signal 9 (SIGKILL)");
    assertThat(exit.result().errorKind()).isEqualTo("CRASHED");
    await("the relay's node gives the relay a CRASHED EXIT").atMost(Duration.ofSeconds(2))
        .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
        .until(() -> topology.metric(Service.RELAY, RELAY_EXITS_CRASHED) > relayCrashExits);
    assertThat(cli.nextAnswer(ANSWER).text()).as(cli.describe()).isEqualTo("  timeout");
    Duration next = echoes(cli, "second");
    System.out.printf("FAULT a worker-kill: the CLI's next line answered in %d ms (worker delay %d ms)%n",
        next.toMillis(), WORKER_DELAY.toMillis());
    cli.endInput();
    assertThat(cli.awaitExit(Duration.ofSeconds(10))).as(cli.describe()).isZero();
    assertThat(cli.transcript()).as(cli.describe()).doesNotContain("  FIRST").contains("Goodbye!");
    assertThat(monitor.events().receive(Duration.ofMillis(300)))
        .as("another event after the one EXIT of the monitored worker").isEmpty();
  }

  /** The LINK_DOWN names the signal. */
  @Test
  @Order(2)
  void aWorkerJvmKilledUnderALinkedProcessKillsTheUntrappedLinkedProcess()
      throws InterruptedException {
    // given: a process in a worker JVM, linked to a client that traps links and to one that does not
    AttachedProcess trapping = topology.attach(Service.REGISTRY);
    trapping.setTrapLinks(true);
    String held = trapping.spawnLinked(HoldEntry.ID, PROCESSES, trapping.pid());
    Message started = Mail.next(trapping, "started", Duration.ofSeconds(30));
    long osPid = ((Number) ((Map<?, ?>) started.payload()).get("os_pid")).longValue();
    AttachedProcess untrapped = topology.attach(Service.LAUNCHER);
    untrapped.link(held);
    ProcessHandle jvm = ProcessHandle.of(osPid).orElseThrow();
    assertThat(topology.workerJvms()).contains(jvm);

    // when
    long t0 = System.nanoTime();
    Topology.signal(jvm, "KILL");

    // then: the trapping client gets LINK_DOWN with the signal; the other is ended by its node
    Event down = nextEvent(trapping, Event.Kind.LINK_DOWN, held, Duration.ofSeconds(2));
    System.out.printf("FAULT a worker-kill: LINK_DOWN %d ms after SIGKILL: %s%n", ms(t0), down.result());
    assertThat(down.result().error()).isEqualTo("worker JVM killed by signal 9 (SIGKILL)");
    assertThat(down.result().errorKind()).isEqualTo("CRASHED");
    String why = untrapped.ended().orTimeout(2, TimeUnit.SECONDS).join();
    System.out.printf("FAULT a worker-kill: untrapped linked client ended %d ms after SIGKILL: %s%n", ms(t0), why);
    assertThat(why).isEqualTo("linked process failed");
    assertThat(trapping.hasEnded()).as("the trapping client lives on").isFalse();
  }

  @Test
  @Order(3)
  void aReplyThatComesAfterItsLineTimedOutIsNeverShownAsTheAnswerToTheNextLine() throws InterruptedException {
    // given: a CLI that waits 2.5 s for each reply, less than the workers' 3 s
    HostWatch spawns = topology.watchHost(Service.LAUNCHER, PROCESSES);
    LiveCli cli = topology.cli("--reply-timeout-ms", "2500");
    cli.awaitLine(BANNER, Duration.ofSeconds(20));

    // when: the first line times out, and the second is typed at once, so that the first line's
    // reply (its worker answers 3 s after it started) arrives while the CLI waits for the second's
    cli.type("first");
    ProcessStarted first = spawns.nextStarted(ECHO_WORKER_ENTRY, Duration.ofSeconds(5));
    LiveCli.Line firstTimeout = cli.nextAnswer(Duration.ofSeconds(5));
    cli.type("second");
    ProcessStarted second = spawns.nextStarted(ECHO_WORKER_ENTRY, Duration.ofSeconds(5));
    LiveCli.Line secondTimeout = cli.nextAnswer(Duration.ofSeconds(5));
    long firstEnded = spawns.exitOf(first.getPid(), Duration.ofSeconds(5));

    // then: both lines time out; the first line's reply, which came during the second's wait, is
    // never printed (the CLI matches each reply's id to the line it waits for)
    assertThat(firstTimeout.text()).as(cli.describe()).isEqualTo("  timeout");
    assertThat(secondTimeout.text()).as(cli.describe()).isEqualTo("  timeout");
    assertThat(firstEnded).as("the first worker's exit came before the second line timed out")
        .isLessThan(secondTimeout.atNanos());
    cli.endInput();
    // and, no line of it answered, the CLI exits with 1
    assertThat(cli.awaitExit(Duration.ofSeconds(10))).as(cli.describe()).isEqualTo(1);
    assertThat(cli.transcript()).as(cli.describe()).noneMatch(l -> l.contains("FIRST") || l.contains("SECOND"));
    System.out.printf("FAULT slow worker: first worker %s ended %d ms before the second line's timeout; second "
        + "worker %s; transcript %s%n", first.getPid(), (secondTimeout.atNanos() - firstEnded) / 1_000_000,
        second.getPid(), cli.transcript());
  }

  // ------------------------------------------------------------------------------------ b. relay

  /**
   * Meanwhile a CLI attached to another node says the relay is not registered; it recovers once the
   * relay is back.
   */
  @Test
  @Order(4)
  void aKilledRelayIsRegisteredAgainWithinTwoSecondsOfItsNewJvmServing()
      throws InterruptedException {
    // given: a CLI attached to another node than the relay's, the registry's (a CLI on the relay's
    // node goes down with it and re-attaches: CliRecoveryIT), answered once; and the relay's PID
    AttachedProcess probe = topology.attach(Service.REGISTRY); // the registry's node: authoritative lookups
    String oldRelay = probe.registry().lookup("relay").orElseThrow();
    ProcessHandle relayJvm = topology.running(Service.RELAY);
    ProcessHandle keeper = topology.keeper(Service.RELAY).orElseThrow();
    LiveCli cli = cliReadyOn(Service.REGISTRY);
    echoes(cli, "before");

    // when: SIGKILL of the relay's JVM
    long t0 = System.nanoTime();
    Topology.signal(relayJvm, "KILL");

    // then: the registry releases 'relay' as soon as the relay's connections break
    await("'relay' released").atMost(Duration.ofSeconds(1)).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(5)).until(() -> probe.registry().lookup("relay").isEmpty());
    long releasedMs = ms(t0);
    // and a line typed now, during the outage, gets the CLI's exact answer for a refused send
    cli.type("during");
    LiveCli.Line during = cli.nextAnswer(ANSWER);
    long duringMs = (during.atNanos() - t0) / 1_000_000;
    // and the keeper starts a new relay JVM (its start is CPU-bound: measured, not bounded), which
    // registers 'relay' again within 2 s of serving
    topology.awaitServing(Service.RELAY, Duration.ofSeconds(60));
    long startMs = ms(t0);
    long serving = System.nanoTime();
    String newRelay = await("'relay' registered again").atMost(Duration.ofSeconds(2))
        .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
        .until(() -> probe.registry().lookup("relay"), r -> r.isPresent() && !r.get().equals(oldRelay))
        .orElseThrow();
    long backMs = ms(t0);
    System.out.printf("FAULT b relay-kill: 'relay' released %d ms after SIGKILL; the CLI answered the line typed "
        + "then with '%s' %d ms after; the new relay JVM served %d ms after the kill (%s); registered again as %s "
        + "(was %s) %d ms after the kill, %d ms after serving%n", releasedMs, during.text(), duringMs, startMs,
        Topology.cpuLoad(), newRelay, oldRelay, backMs, ms(serving));
    assertThat(during.text()).as(cli.describe()).isEqualTo("  error: relay not registered: no process holds the"
        + " name 'relay'; is relay-service running? (scripts/troupe status)");
    assertThat(topology.running(Service.RELAY).pid()).as("the relay's JVM").isNotEqualTo(relayJvm.pid());
    assertThat(topology.keeper(Service.RELAY)).as("its keeper, unchanged").contains(keeper);
    // and the same CLI, never restarted, is answered again
    Duration after = echoes(cli, "after");
    System.out.printf("FAULT b relay-kill: the same CLI answered %d ms after the relay was back%n", after.toMillis());
    cli.endInput();
    assertThat(cli.awaitExit(Duration.ofSeconds(10))).as(cli.describe()).isZero();
  }

  // ------------------------------------------------------------------------------------ c. launcher

  @Test
  @Order(5)
  void aLauncherKilledMidEchoTakesItsWorkersAlongReportsNodeLostAndItsRestartServesSpawnsAgain()
      throws InterruptedException {
    // given: a CLI line being answered by a worker, that worker monitored from the registry's node
    HostWatch spawns = topology.watchHost(Service.LAUNCHER, PROCESSES);
    AttachedProcess monitor = topology.attach(Service.REGISTRY);
    ProcessHandle launcher = topology.running(Service.LAUNCHER);
    long incarnation = incarnationOf("launcher");
    LiveCli cli = cliReady();
    cli.type("lost");
    ProcessStarted worker = spawns.nextStarted(ECHO_WORKER_ENTRY, Duration.ofSeconds(5));
    monitor.monitor(worker.getPid());
    Set<ProcessHandle> workers = topology.workerJvms();
    assertThat(workers).as("worker JVMs, the one running the echo worker among them")
        .hasSizeGreaterThanOrEqualTo(MIN_SPARES);
    double relayNodeLostExits = topology.metric(Service.RELAY, RELAY_EXITS_NODE_LOST);

    // when: SIGKILL of the launcher's JVM
    long t0 = System.nanoTime();
    Topology.signal(launcher, "KILL");

    // then: every worker JVM, the busy one included, exits within 2 s
    List<ProcessHandle> alive = Topology.stillAliveAfter(workers, Duration.ofSeconds(2));
    long workersGoneMs = ms(t0);
    assertThat(alive).as("worker JVMs alive 2 s after their launcher was killed: %s", Topology.describe(alive))
        .isEmpty();
    // and the monitor of the in-flight worker gets NODE_LOST within 3 s, as does the relay
    Event exit = Mail.exitOf(monitor, worker.getPid(), left(t0, Duration.ofSeconds(3)));
    long exitMs = ms(t0);
    assertThat(exit.result().errorKind()).as("EXIT: %s", exit.result()).isEqualTo("NODE_LOST");
    assertThat(exit.result().error()).startsWith("node lost: launcher");
    // and the keeper starts a new launcher JVM (CPU-bound: measured, not bounded), a new incarnation
    // that serves spawns again within 5 s of serving: a spawn's process runs
    AttachedProcess client = topology.attach(Service.REGISTRY);
    List<String> attempts = new CopyOnWriteArrayList<>();
    topology.awaitServing(Service.LAUNCHER, Duration.ofSeconds(60));
    long servingMs = ms(t0);
    long serving = System.nanoTime();
    String held = await("a spawn on app:processes accepted").atMost(Duration.ofSeconds(5))
        // until the new launcher has joined, spawns fail NOT_FOUND (no node serves the host): retry
        .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50)).ignoreExceptionsInstanceOf(TroupeException.class)
        .until(() -> spawnRecorded(client, t0, attempts), p -> p != null);
    Mail.next(client, "started", left(serving, Duration.ofSeconds(5)));
    long spawnRunsMs = ms(t0);
    client.send(held, "stop");
    Mail.exitOf(client, held, Duration.ofSeconds(5));
    assertThat(topology.running(Service.LAUNCHER).pid()).isNotEqualTo(launcher.pid());
    assertThat(incarnationOf("launcher")).as("the launcher's incarnation").isNotEqualTo(incarnation);
    // and an echo through the relay is answered again, within 10 s of the new launcher serving (3 s of
    // it the worker's wait)
    Optional<Map<?, ?>> echo = Topology.echo(client, "again", 7, left(serving, Duration.ofSeconds(10)));
    long echoMs = ms(t0);
    System.out.printf("FAULT c launcher-kill: worker JVMs gone %d ms after SIGKILL; NODE_LOST %d ms; the new "
        + "launcher JVM served %d ms after (%s); spawn attempts (ms after the kill: outcome) %s; a spawned process "
        + "running %d ms after; an echo answered %d ms after (worker delay %d ms)%n", workersGoneMs, exitMs,
        servingMs, Topology.cpuLoad(), attempts, spawnRunsMs, echoMs, WORKER_DELAY.toMillis());
    assertThat(echo).as("an echo answered within 10 s of the new launcher serving (%s ms after the kill)\n%s", echoMs,
        topology.diagnostics()).isPresent();
    // and the CLI printed timeout for the line in flight, and answers its next line without a restart
    assertThat(cli.nextAnswer(ANSWER).text()).as(cli.describe()).isEqualTo("  timeout");
    echoes(cli, "back");
    // and the old incarnation's PIDs are gone for good
    assertOldPidIsGone(worker.getPid(), monitor);
    cli.endInput();
    assertThat(cli.awaitExit(Duration.ofSeconds(10))).as(cli.describe()).isZero();
    assertThat(topology.metric(Service.RELAY, RELAY_EXITS_NODE_LOST)).as("NODE_LOST EXITs the relay got")
        .isGreaterThan(relayNodeLostExits);
  }

  // ------------------------------------------------------------------------------------ d. SIGSTOP

  @Test
  @Order(6)
  void aFrozenLauncherIsDeclaredLostWithinThreeSecondsAndWhenResumedStopsItselfForANewIncarnation()
      throws InterruptedException {
    // given: a named process in a worker JVM, monitored from the registry's node
    AttachedProcess monitor = topology.attach(Service.REGISTRY);
    String name = "it-frozen-" + NAMES.incrementAndGet() + "-" + System.nanoTime();
    String held = monitor.spawnMonitored(HoldEntry.ID, PROCESSES, monitor.pid(), name);
    Mail.next(monitor, "started", Duration.ofSeconds(30));
    assertThat(monitor.registry().lookup(name)).contains(held);
    ProcessHandle launcher = topology.running(Service.LAUNCHER);
    ProcessHandle keeper = topology.keeper(Service.LAUNCHER).orElseThrow();
    Set<ProcessHandle> workers = topology.workerJvms();
    long incarnation = incarnationOf("launcher");

    // when: the launcher's JVM is frozen (its worker JVMs are not)
    int lostBefore = topology.lostLines().size();
    LocalDateTime stopped = LocalDateTime.now();
    long t0 = System.nanoTime();
    Topology.signal(launcher, "STOP");
    long lostMs;
    long exitMs;
    Event exit;
    try {
      // then: the registry drops it within 3 s (2.5 s without a heartbeat, plus one liveness check),
      // and the monitor of its process gets NODE_LOST within the same 3 s
      // (timed by the registry's log line: a poll of its status from here takes time of its own)
      String line = topology.awaitLostLine(lostBefore, "launcher", Duration.ofSeconds(10));
      lostMs = Duration.between(stopped, Hosts.logTime(line)).toMillis();
      assertThat(lostMs).as(line).isLessThanOrEqualTo(3_000);
      exit = Mail.exitOf(monitor, held, left(t0, Duration.ofSeconds(3)));
      exitMs = ms(t0);
      assertThat(monitor.registry().lookup(name)).as("'%s' after the node was lost", name).isEmpty();
    } finally {
      Topology.signal(launcher, "CONT");
    }
    long contMs = ms(t0);
    assertThat(exit.result().errorKind()).as("EXIT: %s", exit.result()).isEqualTo("NODE_LOST");
    assertThat(exit.result().error()).startsWith("node lost: launcher");

    // and resumed, it stops itself (fail-stop), its worker JVMs with it, and its keeper starts a new
    // incarnation
    List<ProcessHandle> old = Topology.stillAliveAfter(List.of(launcher), Duration.ofSeconds(10));
    long haltedMs = ms(t0);
    assertThat(old).as("the resumed launcher 10 s after SIGCONT\n" + topology.diagnostics()).isEmpty();
    assertThat(Topology.stillAliveAfter(workers, Duration.ofSeconds(2))).as("its worker JVMs").isEmpty();
    assertThat(topology.logLines(Service.LAUNCHER)).anyMatch(l -> l.contains("the registry declared this node lost"));
    ProcessHandle restarted = await("a new launcher JVM").atMost(Duration.ofSeconds(10)).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> topology.process(Service.LAUNCHER), p -> p.isPresent() && p.get().pid() != launcher.pid())
        .orElseThrow();
    assertThat(topology.keeper(Service.LAUNCHER)).as("its keeper, unchanged").contains(keeper);
    // (the new JVM's start is CPU-bound: measured, not bounded)
    topology.awaitServing(Service.LAUNCHER, Duration.ofSeconds(60));
    long servingMs = ms(t0);
    await("the new incarnation registered").atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(50)).ignoreExceptions()
        .until(() -> incarnationOf("launcher") != incarnation);

    // and the old PID is gone for good
    assertOldPidIsGone(held, monitor);
    // and the new incarnation serves, with PIDs above the old life's
    AttachedProcess client = topology.attach(Service.REGISTRY);
    String fresh = await("a spawn on the new incarnation").atMost(Duration.ofSeconds(15)).pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(50)).ignoreExceptionsInstanceOf(TroupeException.class)
        .until(() -> client.spawnMonitored(HoldEntry.ID, PROCESSES, client.pid(), name), p -> p != null);
    Mail.next(client, "started", Duration.ofSeconds(15));
    long servesMs = ms(t0);
    assertThat(client.registry().lookup(name)).as("the name, taken by the new process").contains(fresh);
    assertThat(Pid.parse(fresh).id()).as("id of %s vs the old %s", fresh, held).isGreaterThan(Pid.parse(held).id());
    client.send(fresh, "stop");
    Mail.exitOf(client, fresh, Duration.ofSeconds(5));
    System.out.printf("FAULT d launcher-stop: declared lost %d ms after SIGSTOP, NODE_LOST EXIT %d ms; SIGCONT at "
        + "%d ms; old JVM gone %d ms; new JVM %d serving %d ms after SIGSTOP (%s); a spawn on the new incarnation "
        + "running %d ms after SIGSTOP%n", lostMs, exitMs, contMs, haltedMs, restarted.pid(), servingMs,
        Topology.cpuLoad(), servesMs);
  }

  // ------------------------------------------------------------------------------------ e. registry

  /**
   * Registry kills in a row, under peer traffic: a race in the rebuild shows on some kills only.
   */
  private static final int REGISTRY_KILLS = 4;

  /**
   * Killed four times in a row; each time the new registry has every name and host back within 5 s.
   */
  @Test
  @Order(7)
  void aRegistryKilledUnderPeerTrafficNeverCutsALivePeer()
      throws InterruptedException {
    // given: a client on the launcher's node holding a name, and the relay registered
    AttachedProcess onLauncher = topology.attach(Service.LAUNCHER);
    String name = "it-survivor-" + NAMES.incrementAndGet() + "-" + System.nanoTime();
    onLauncher.registry().register(name);
    ProcessHandle keeper = topology.keeper(Service.REGISTRY).orElseThrow();
    Map<String, String> namesBefore = topology.namesListed();
    String relay = namesBefore.get("relay");
    assertThat(namesBefore).containsEntry(name, onLauncher.pid());
    // and traffic that needs each node to answer the other's requests: spawns from the relay's node
    // onto the launcher's host, and monitors from the launcher's node of the relay process
    try (PeerTraffic traffic = new PeerTraffic(topology.attach(Service.RELAY), topology.attach(Service.LAUNCHER),
        relay)) {
      for (int kill = 1; kill <= REGISTRY_KILLS; kill++) {
        ProcessHandle registry = topology.running(Service.REGISTRY);

        // when
        long t0 = System.nanoTime();
        Topology.signal(registry, "KILL");

        // then: its keeper starts it again (CPU-bound: measured, not bounded), and within 5 s of it
        // serving, the nodes have rejoined it and their names are back
        topology.awaitServing(Service.REGISTRY, Duration.ofSeconds(60));
        long startMs = ms(t0);
        long serving = System.nanoTime();
        int k = kill;
        await("kill " + k + ": registry back with launcher, relay and their names").atMost(Duration.ofSeconds(5))
            .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
            .until(() -> topology.nodesListed().containsAll(List.of("registry", "launcher", "relay"))
                && topology.namesListed().keySet().containsAll(List.of("relay", name)));
        long rejoinedMs = ms(serving);
        long backMs = ms(t0);
        Map<String, String> namesAfter = topology.namesListed();
        assertThat(namesAfter).as("kill %d, after %s ms", kill, backMs)
            .containsEntry("relay", relay).containsEntry(name, onLauncher.pid());
        assertThat(topology.running(Service.REGISTRY).pid()).isNotEqualTo(registry.pid());
        assertThat(topology.keeper(Service.REGISTRY)).as("its keeper, unchanged").contains(keeper);
        assertThat(topology.status().getNodesList()).as("hosts")
            .anySatisfy(n -> assertThat(n.getHostsList()).contains(PROCESSES))
            .anySatisfy(n -> assertThat(n.getHostsList()).contains("app:relay"));

        // and both nodes go on answering each other's requests once the registry is back (a
        // node that dropped its live peer from its view cannot answer it: DEADLINE_EXCEEDED)
        PeerTraffic.Counts before = traffic.counts();
        await("kill " + k + ": spawns and monitors across the peers go on").atMost(Duration.ofSeconds(10))
            .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
            .until(() -> traffic.counts().spawns() >= before.spawns() + 3
                && traffic.counts().monitors() >= before.monitors() + 3);
        System.out.printf("FAULT e registry-kill %d/%d: the new registry JVM served %d ms after SIGKILL (%s); "
            + "nodes and names back %d ms after that (%d ms after the kill); peer traffic resumed %d ms after the "
            + "kill (%s)%n", kill, REGISTRY_KILLS, startMs, Topology.cpuLoad(), rejoinedMs, backMs, ms(t0),
            traffic.counts());
      }
      assertThat(traffic.failures()).as("peer requests that failed across %d registry kills", REGISTRY_KILLS)
          .isEmpty();
    }
    for (Service s : List.of(Service.LAUNCHER, Service.RELAY)) {
      assertThat(topology.logLines(s)).as("%s's log", s).noneMatch(l -> l.contains("is not in the directory"));
    }

    // and sends resume: the client that lived through it is answered, and so is a new CLI
    long t1 = System.nanoTime();
    Optional<Map<?, ?>> reply = Topology.echo(onLauncher, "through", 42, ANSWER);
    long echoMs = ms(t1);
    assertThat(reply).as("echo from the client on the launcher's node").isPresent();
    Run cli = topology.cliThroughPipe("hello again\n", Map.of(), Duration.ofSeconds(30),
        "--reply-timeout-ms", REPLY_TIMEOUT_MS);
    System.out.printf("FAULT e registry-kill: an echo from a surviving client %d ms after the last kill's "
        + "recovery; a new CLI answered %d ms after%n", echoMs, ms(t1));
    assertThat(cli.exitCode()).as(cli.describe()).isZero();
    assertThat(cli.lines()).as(cli.describe() + "\n" + topology.diagnostics()).contains("  HELLO AGAIN");
  }

  /**
   * Requests each way between the relay's node and the launcher's, in a loop on two threads, until
   * closed: spawn-stop-EXIT of {@link HoldEntry} from a client on the relay's node, and
   * monitor-unmonitor of the relay process from a client on the launcher's node.
   */
  private static final class PeerTraffic implements AutoCloseable {
    record Counts(long spawns, long monitors) {}

    private final AtomicLong spawns = new AtomicLong();
    private final AtomicLong monitors = new AtomicLong();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final List<Thread> threads;
    private volatile boolean stop;

    PeerTraffic(AttachedProcess onRelay, AttachedProcess onLauncher, String relay) {
      threads = List.of(
          Thread.ofPlatform().name("traffic-spawns").start(() -> loop(spawns, () -> {
            String p = onRelay.spawnMonitored(HoldEntry.ID, PROCESSES, onRelay.pid());
            Mail.next(onRelay, "started", Duration.ofSeconds(10));
            onRelay.send(p, "stop");
            Mail.exitOf(onRelay, p, Duration.ofSeconds(10));
          })),
          Thread.ofPlatform().name("traffic-monitors").start(() -> loop(monitors, () -> {
            onLauncher.monitor(relay);
            onLauncher.unmonitor(relay);
          })));
    }

    private interface Step {
      void run() throws Exception;
    }

    private void loop(AtomicLong done, Step step) {
      while (!stop) {
        try {
          step.run();
          done.incrementAndGet();
        } catch (InterruptedException e) {
          return;
        } catch (Exception | AssertionError e) {
          if (!stop) {
            failures.add(LocalTime.now() + " " + Thread.currentThread().getName() + ": " + e);
          }
        }
      }
    }

    Counts counts() {
      return new Counts(spawns.get(), monitors.get());
    }

    List<String> failures() {
      return failures;
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      for (Thread t : threads) {
        t.join(Duration.ofSeconds(30));
      }
    }
  }
}
