package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.client.AttachedProcess;
import dev.troupe.systemtests.Topology.Service;
import dev.troupe.systemtests.entries.HoldEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The worker-launcher with real worker JVMs: its warm pool, and what a monitor sees when a worker
 * JVM or the launcher itself is killed. Processes run {@code test:hold} ({@link HoldEntry}), which
 * reports the OS PID of the JVM running it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LauncherIT {
  private static final String HOST = "app:processes";
  private static final int MIN_SPARES = 2;
  @RegisterExtension
  static final Topology topology = Topology.named("launcher").launcherArgs("--min-spares " + MIN_SPARES).withTestEntries()
      .notStarted().build(); // started by the first test's topologyIsUp, after the earlier caches are laid

  /** The caches an earlier build of Troupe left in the run directory (see workerJvmsMapOnly...). */
  private static final List<String> EARLIER_CACHES = List.of("worker.aot", "worker-0123456789ab.aot");

  @BeforeAll
  static void cachesOfAnEarlierBuildLieInTheRunDirectory() throws IOException {
    // As a run directory that an earlier build used: its cache under the name releases before the
    // fingerprint gave it, and one with another fingerprint. Neither is a cache: a JVM that mapped
    // one would print an AOT error, and one that used the earlier build's would run its classes.
    for (String name : EARLIER_CACHES) {
      Files.writeString(topology.runDir().resolve(name), "the AOT cache of an earlier build");
    }
  }

  /** One test kills the launcher: each starts from a whole, working topology with a settled pool. */
  @BeforeEach
  void topologyIsUpAndEchoWorks() {
    topology.up();
    topology.awaitEchoWorks(Duration.ofSeconds(60));
    topology.awaitPoolSettled(MIN_SPARES, Duration.ofSeconds(60));
  }


  /** A process started by {@code spawnMonitored} and the worker JVM it reported from. */
  private record Held(String pid, long osPid, Duration spawnReply, Duration started) {}

  private static Held spawnHold(AttachedProcess client) throws InterruptedException {
    long t0 = System.nanoTime();
    String pid = client.spawnMonitored(HoldEntry.ID, HOST, client.pid());
    Duration reply = Duration.ofNanos(System.nanoTime() - t0);
    Message started = Mail.next(client, "started", Duration.ofSeconds(30));
    Duration running = Duration.ofNanos(System.nanoTime() - t0);
    Map<?, ?> report = (Map<?, ?>) started.payload();
    assertThat(report.get("pid")).isEqualTo(pid);
    return new Held(pid, ((Number) report.get("os_pid")).longValue(), reply, running);
  }

  private static void stopAndAwaitCleanExit(AttachedProcess client, Held h) throws InterruptedException {
    client.send(h.pid(), "stop");
    Event exit = Mail.exitOf(client, h.pid(), Duration.ofSeconds(10));
    assertThat(exit.result().isError()).as("exit of %s: %s", h.pid(), exit.result()).isFalse();
  }

  @Test
  void backToBackSpawnsAreServedAtOnceByPreForkedWorkerJvms() throws InterruptedException {
    // given: two worker JVMs that have attached, run a process and are idle again (a clean exit
    // returns a JVM to the pool before the EXIT is sent)
    AttachedProcess client = topology.attach();
    Held w1 = spawnHold(client);
    Held w2 = spawnHold(client);
    assertThat(w1.osPid()).isNotEqualTo(w2.osPid());
    stopAndAwaitCleanExit(client, w1);
    stopAndAwaitCleanExit(client, w2);
    topology.awaitPoolSettled(MIN_SPARES, Duration.ofSeconds(30));
    Set<Long> jvmsBefore = topology.workerPids();

    // when: two spawns back to back
    List<Held> spawned = new ArrayList<>();
    spawned.add(spawnHold(client));
    spawned.add(spawnHold(client));

    // then: both answered at once, and running in JVMs that existed before the spawns
    for (Held h : spawned) {
      System.out.printf("warm spawn: reply %d ms, first message %d ms, JVM %d%n", h.spawnReply().toMillis(),
          h.started().toMillis(), h.osPid());
      assertThat(h.spawnReply()).as("spawn reply of %s", h.pid()).isLessThan(Duration.ofMillis(150));
      assertThat(h.started()).as("spawn to the process's first message, %s (a JVM start takes 0.5 s to "
          + "seconds here)", h.pid()).isLessThan(Duration.ofMillis(500));
      assertThat(jvmsBefore).as("worker JVMs before the spawns").contains(h.osPid());
    }
    assertThat(spawned.get(0).osPid()).isNotEqualTo(spawned.get(1).osPid());
    for (Held h : spawned) {
      stopAndAwaitCleanExit(client, h);
    }
  }

  @Test
  void killingAWorkerJvmGivesTheMonitorAnExitThatNamesTheSignal() throws InterruptedException {
    // given: a monitored process in a worker JVM
    AttachedProcess client = topology.attach();
    Held h = spawnHold(client);
    ProcessHandle worker = ProcessHandle.of(h.osPid()).orElseThrow();
    assertThat(topology.workerJvms()).as("worker JVMs of the launcher").contains(worker);

    // when
    long t0 = System.nanoTime();
    worker.destroyForcibly(); // SIGKILL

    // then
    Event exit = Mail.exitOf(client, h.pid(), Duration.ofSeconds(2));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    System.out.printf("EXIT of the SIGKILLed worker's process after %d ms: %s%n", took.toMillis(), exit.result());
    assertThat(exit.result().isError()).as("EXIT after %s ms: %s", took.toMillis(), exit.result()).isTrue();
    assertThat(exit.result().error()).contains("signal 9").contains("SIGKILL");
    assertThat(exit.result().errorKind()).isEqualTo("CRASHED");
  }

  @Test
  @Order(Integer.MAX_VALUE) // last only to spare the next test a launcher restart
  void whenTheLauncherIsKilledItsWorkerJvmsExitAndMonitorsElsewhereSeeNodeLost() throws InterruptedException {
    // given: a process in a worker JVM, monitored from a client on the registry's node, and the
    // pool's JVMs attached (the process shares one of them: no JVM is forked for it)
    AttachedProcess client = topology.attach();
    Held h = spawnHold(client);
    ProcessHandle launcher = topology.running(Service.LAUNCHER);
    Set<ProcessHandle> workers = topology.awaitPoolSettled(MIN_SPARES, Duration.ofSeconds(30));
    assertThat(workers).extracting(ProcessHandle::pid).contains(h.osPid());

    // when
    long t0 = System.nanoTime();
    launcher.destroyForcibly(); // SIGKILL: no shutdown hook stops the workers

    // then: every worker JVM exits by itself within 2 s
    List<ProcessHandle> left = Topology.stillAliveAfter(workers, Duration.ofSeconds(2));
    assertThat(left).as("worker JVMs alive 2 s after their launcher was killed: %s", Topology.describe(left))
        .isEmpty();
    // and the monitor sees the process end with "node lost" within 3 s of the kill
    Duration left3s = Duration.ofSeconds(3).minus(Duration.ofNanos(System.nanoTime() - t0));
    Event exit = Mail.exitOf(client, h.pid(), left3s.isNegative() ? Duration.ZERO : left3s);
    assertThat(exit.result().isError()).as("EXIT: %s", exit.result()).isTrue();
    System.out.printf("EXIT after the launcher's SIGKILL, %d ms: %s%n",
        Duration.ofNanos(System.nanoTime() - t0).toMillis(), exit.result());
    assertThat(exit.result().error()).contains("node lost");
    assertThat(exit.result().errorKind()).isEqualTo("NODE_LOST");
  }

  @Test
  void killingTheLauncherDuringItsAotTrainingRunLeavesNoJvmBehind() {
    try (Topology fresh = Topology.named("launcher-training").withTestEntries().build()) {
      // given: a launcher started on a fresh run directory, building its AOT cache
      fresh.start(Service.REGISTRY);
      fresh.start(Service.LAUNCHER);
      ProcessHandle launcher = fresh.running(Service.LAUNCHER);
      ProcessHandle training = await("the AOT training JVM").atMost(Duration.ofSeconds(10))
          .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
          .until(() -> fresh.workerJvms().stream()
              .filter(w -> w.info().commandLine().orElse("").contains("--train")).findFirst(), Optional::isPresent)
          .orElseThrow();
      Set<ProcessHandle> children = fresh.workerJvms();
      try {
        // when
        launcher.destroyForcibly();

        // then
        List<ProcessHandle> left = Topology.stillAliveAfter(children, Duration.ofSeconds(2));
        assertThat(left).as("JVMs alive 2 s after their launcher was killed: %s", Topology.describe(left))
            .isEmpty();
      } finally {
        training.descendants().forEach(ProcessHandle::destroyForcibly);
        training.destroyForcibly();
      }
    }
  }

  @Test
  void workerJvmsMapOnlyTheAotCacheBuiltForThisBuildAndThoseOfEarlierBuildsAreGone() throws IOException {
    // given: the launcher's AOT cache built (on this class's first start)
    String ready = await("the launcher's AOT cache ready").atMost(Duration.ofSeconds(45))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> topology.logLines(Service.LAUNCHER).stream().filter(l -> l.contains("AOT cache ")
            && (l.contains(" ready") || l.contains(" unavailable"))).findFirst(), Optional::isPresent).orElseThrow();
    assertThat(ready).contains(" ready");
    List<Path> caches = aotCaches();
    assertThat(caches).as("the run directory's AOT caches").hasSize(1);
    Path cache = caches.get(0);
    assertThat(cache.getFileName().toString()).matches("worker-\\p{XDigit}{12}\\.aot")
        .isNotIn(EARLIER_CACHES);

    // when: a worker JVM is killed, and the pool forks one to keep its spares
    Set<ProcessHandle> before = topology.workerJvms();
    before.iterator().next().destroyForcibly();
    ProcessHandle forked = await("a worker JVM forked after the kill").atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> topology.workerJvms().stream().filter(w -> !before.contains(w)).findFirst(), Optional::isPresent)
        .orElseThrow();

    // then: it maps the cache built for this build (named in the run directory's one spelling: its real path)
    assertThat(forked.info().commandLine().orElse(""))
        .contains("-XX:AOTCache=" + topology.runDir().toRealPath().resolve(cache.getFileName()));
  }

  private static List<Path> aotCaches() {
    try (Stream<Path> files = Files.list(topology.runDir())) {
      return files.filter(f -> f.getFileName().toString().endsWith(".aot")).toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void noWorkerJvmReportsAnAotCacheError() {
    // given: this class's topology, started on a fresh run directory (so the cache was built while
    // the first spawns were served) and used by the other tests

    // when
    List<String> aotErrors = topology.logLines(Service.LAUNCHER).stream()
        .filter(l -> l.contains("[aot]") && l.contains("error")).toList();

    // then
    assertThat(aotErrors).as("AOT errors in %s", topology.log(Service.LAUNCHER)).isEmpty();
  }
}
