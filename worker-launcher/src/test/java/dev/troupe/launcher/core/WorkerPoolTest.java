package dev.troupe.launcher.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.runtime.api.ErrorCode;
import dev.troupe.runtime.api.Event;
import dev.troupe.runtime.api.Message;
import dev.troupe.runtime.api.TroupeException;
import dev.troupe.runtime.directory.InMemoryDirectory;
import dev.troupe.runtime.grpc.GrpcAttach;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.grpc.PeerSettings;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.process.AttachedProcess;
import dev.troupe.runtime.process.ServiceSupervisor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pool with real worker JVMs, forked the way the launcher forks them. */
@Timeout(120)
class WorkerPoolTest {
  private static final String HOST = "app:processes";
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private WorkerPool pool;
  private NodeServer server;

  @AfterEach
  void stop() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
    if (pool != null) {
      List<Long> pids = pool.jvmPids();
      pool.close();
      for (long pid : pids) {
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
            .as("worker JVM %d is stopped", pid).isFalse();
      }
    }
    if (server != null) {
      server.close();
    }
  }

  private AttachedProcess startLauncher(PoolSettings settings) throws Exception {
    List<String> entries = List.of(
        "test:report-sleep=" + TestEntries.ReportAndSleep.class.getName(),
        "test:report-fail=" + TestEntries.ReportAndFail.class.getName(),
        "test:name-return=" + TestEntries.ReportToNameAndReturn.class.getName(),
        "test:name-fail=" + TestEntries.ReportToNameAndFail.class.getName());
    String java = ProcessHandle.current().info().command().orElseThrow();
    String cp = System.getProperty("java.class.path");
    AtomicReference<Node> node = new AtomicReference<>();
    AtomicReference<String> address = new AtomicReference<>();
    pool = new WorkerPool(settings,
        id -> new JvmForker(java, cp, 64, null, address.get(), entries).fork(id), node::get);
    Set<String> ids = Set.of("test:report-sleep", "test:report-fail", "test:name-return", "test:name-fail");
    node.set(new Node(NodeConfig.defaults("launcher"), new InMemoryDirectory(),
        List.of(new WorkerPoolHost(HOST, ids, pool))));
    server = new NodeServer(node.get(), "127.0.0.1", 0, PeerSettings.defaults())
        .onWorkerHello(pool::onHello).start();
    address.set(server.address());
    pool.start();
    AttachedProcess client = GrpcAttach.attach(server.address(), "", "test", Duration.ofSeconds(10));
    cleanup.add(client);
    return client;
  }

  private static PoolSettings settings(int minSpares, int maxWorkers, boolean reuse) {
    return new PoolSettings(minSpares, maxWorkers, 2, Duration.ofSeconds(60), reuse, 100,
        Duration.ofSeconds(60), Duration.ofMillis(500));
  }

  private static long jvmOf(AttachedProcess client) throws InterruptedException {
    Message m = client.inbox().receive(Duration.ofSeconds(30)).orElseThrow().value();
    assertThat(m.topic()).isEqualTo("jvm");
    return ((Number) m.payload()).longValue();
  }

  @Test
  void spawnsAreServedByPreForkedSpareJvms() throws Exception {
    // given a launcher whose two spares have attached
    AttachedProcess client = startLauncher(settings(2, 8, false));
    await("until two spares are ready").atMost(Duration.ofSeconds(60))
        .until(() -> pool.stats().spares() == 2);
    List<Long> spares = pool.jvmPids();

    // when a process is spawned
    client.spawnMonitored("test:report-sleep", HOST, client.pid(), 0);

    // then it runs in one of the JVMs that were already there
    assertThat(spares).contains(jvmOf(client));
    Event exit = client.events().receive(Duration.ofSeconds(10)).orElseThrow().value();
    assertThat(exit.result().value()).isEqualTo("done");
  }

  @Test
  void killingAWorkerJvmGivesItsMonitorAnExitThatNamesTheSignal() throws Exception {
    AttachedProcess client = startLauncher(settings(1, 8, false));
    String child = client.spawnMonitored("test:report-sleep", HOST, client.pid(), 60_000);
    long jvm = jvmOf(client);

    ProcessHandle.of(jvm).orElseThrow().destroyForcibly(); // SIGKILL

    Event exit = client.events().receive(Duration.ofSeconds(5)).orElseThrow().value();
    assertThat(exit.from()).isEqualTo(child);
    assertThat(exit.result().isError()).isTrue();
    assertThat(exit.result().error()).contains("signal 9").contains("SIGKILL");
  }

  @Test
  void aJvmIsReusedAfterACleanExitButNeverAfterAnError() throws Exception {
    // no spares: the JVM given back is the only idle one, so the next spawn must take it
    AttachedProcess client = startLauncher(settings(0, 8, true));
    client.spawnMonitored("test:report-sleep", HOST, client.pid(), 0);
    long first = jvmOf(client);
    client.events().receive(Duration.ofSeconds(10)).orElseThrow();

    client.spawnMonitored("test:report-fail", HOST, client.pid());
    long second = jvmOf(client);
    client.events().receive(Duration.ofSeconds(10)).orElseThrow();
    assertThat(second).as("a clean exit gives the JVM back").isEqualTo(first);

    await("until the failed JVM is gone").atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(second).map(h -> !h.isAlive()).orElse(true));
    client.spawnMonitored("test:report-sleep", HOST, client.pid(), 0);
    assertThat(jvmOf(client)).as("an error exit retires the JVM").isNotEqualTo(second);
  }

  @Test
  void aBurstOfSpawnsOnReusedJvmsLosesNoProcess() throws Exception {
    // given JVMs that start one at a time, so that most spawns wait, and are handed a JVM that
    // another process gives back on its exit
    AttachedProcess client = startLauncher(new PoolSettings(1, 20, 1, Duration.ofSeconds(60), true, 100,
        Duration.ofSeconds(60), Duration.ofMillis(500)));
    java.util.Set<String> children = new java.util.HashSet<>();

    // when 20 monitored processes are spawned back to back
    for (int i = 0; i < 20; i++) {
      children.add(client.spawnMonitored("test:report-sleep", HOST, client.pid(), 0));
    }

    // then every one of them runs and ends with exactly one EXIT
    java.util.Set<String> exited = new java.util.HashSet<>();
    while (exited.size() < children.size()) {
      Event e = client.events().receive(Duration.ofSeconds(30)).orElseThrow(
          () -> new AssertionError("no EXIT for " + children.stream().filter(c -> !exited.contains(c)).toList()))
          .value();
      assertThat(exited.add(e.from())).as("one EXIT per process").isTrue();
      assertThat(e.result().value()).isEqualTo("done");
    }
    assertThat(exited).isEqualTo(children);
  }

  @Test
  void unknownEntriesAndFullPoolsAreRefusedWithClearCodes() throws Exception {
    AttachedProcess client = startLauncher(settings(0, 1, false));

    assertThatThrownBy(() -> client.spawn("test:nope", HOST))
        .isInstanceOfSatisfying(TroupeException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
          assertThat(e.getMessage()).contains("test:nope");
        });
    client.spawn("test:report-sleep", HOST, client.pid(), 60_000);
    jvmOf(client);
    assertThatThrownBy(() -> client.spawn("test:report-sleep", HOST, client.pid(), 0))
        .isInstanceOfSatisfying(TroupeException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED));
  }

  @Test
  void aWorkerJvmExitsByItselfWhenItsLauncherIsGone() throws Exception {
    startLauncher(settings(1, 4, false));
    await().atMost(Duration.ofSeconds(60)).until(() -> pool.stats().spares() == 1);
    long worker = pool.jvmPids().get(0);

    server.close(); // the launcher's node goes away: the worker's stream closes

    await("until the worker JVM has exited").atMost(Duration.ofSeconds(2))
        .until(() -> ProcessHandle.of(worker).map(h -> !h.isAlive()).orElse(true));
  }

  @Test
  void aServiceIsRestartedAfterACrashButNotAfterANormalExit() throws Exception {
    AttachedProcess client = startLauncher(settings(2, 8, true));
    client.registry().register("observer");
    ServiceSupervisor crashing = new ServiceSupervisor(server.node(), "crasher", "test:name-fail", HOST,
        List.of("observer"), new ServiceSupervisor.RestartPolicy(Duration.ofMillis(100), 0.1, 0)).start();
    cleanup.add(crashing);

    // a crashing service starts again and again
    String first = (String) client.inbox().receive(Duration.ofSeconds(30)).orElseThrow().value().payload();
    String second = (String) client.inbox().receive(Duration.ofSeconds(30)).orElseThrow().value().payload();
    assertThat(second).isNotEqualTo(first);
    crashing.close();

    // a service that returns normally runs once (observed by a second client, so that a late
    // message of the closed crashing service cannot be mistaken for a restart)
    AttachedProcess observer2 = GrpcAttach.attach(server.address(), "", "test2", Duration.ofSeconds(10));
    cleanup.add(observer2);
    observer2.registry().register("observer2");
    ServiceSupervisor clean = new ServiceSupervisor(server.node(), "clean", "test:name-return", HOST,
        List.of("observer2"), new ServiceSupervisor.RestartPolicy(Duration.ofMillis(100), 0.1, 0)).start();
    cleanup.add(clean);
    assertThat(observer2.inbox().receive(Duration.ofSeconds(30))).isPresent();
    assertThat(observer2.inbox().receive(Duration.ofMillis(1500)))
        .as("no restart after a normal exit").isEmpty();
  }
}
