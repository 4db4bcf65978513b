package dev.troupe.launcher.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.GrpcAttach;
import dev.troupe.registry.core.Liveness;
import dev.troupe.registry.grpc.RegistryGrpcService;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.process.ServiceSupervisor;
import dev.troupe.runtime.registry.InMemoryDirectory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool with real worker JVMs, forked the way the launcher forks them: each joins an in-process
 * registry as a member of the pool's host. The test's clients attach to the registry's node, as a
 * relay's processes would be on theirs, so their spawns go straight to the worker JVMs.
 */
@Timeout(120)
class WorkerPoolTest {
  private static final String HOST = "app:processes";
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private WorkerPool pool;
  private NodeServer server;
  private NodeServer registry;

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
    if (registry != null) {
      registry.close();
    }
  }

  private AttachedProcess startLauncher(PoolSettings settings) throws Exception {
    return startLauncher(settings, 8);
  }

  private AttachedProcess startLauncher(PoolSettings settings, int carrierThreads) throws Exception {
    return startLauncher(settings, carrierThreads, List.of());
  }

  private AttachedProcess startLauncher(PoolSettings settings, int carrierThreads, List<String> jvmOptions)
      throws Exception {
    List<String> entries = List.of(
        "test:settings=" + TestEntries.ReportJvmSettings.class.getName(),
        "test:report-sleep=" + TestEntries.ReportAndSleep.class.getName(),
        "test:report-fail=" + TestEntries.ReportAndFail.class.getName(),
        "test:name-return=" + TestEntries.ReportToNameAndReturn.class.getName(),
        "test:name-fail=" + TestEntries.ReportToNameAndFail.class.getName(),
        "test:answer=" + TestEntries.Answer.class.getName(),
        "test:throw=" + TestEntries.Throw.class.getName(),
        "test:spin=" + TestEntries.Spin.class.getName(),
        "test:isolated-sleep=" + TestEntries.ReportAndSleep.class.getName(),
        "test:isolated-fail=" + TestEntries.ReportAndFail.class.getName());
    Set<String> isolated = Set.of("test:isolated-sleep", "test:isolated-fail");
    // the registry, in this JVM: its directory is the launcher's too
    InMemoryDirectory directory = new InMemoryDirectory();
    Node registryNode = new Node(NodeConfig.defaults("registry"), directory, List.of());
    RegistryGrpcService registryService = new RegistryGrpcService(directory,
        new Liveness(Duration.ofSeconds(10), System::currentTimeMillis), registryNode.label());
    byte[] memberKey = dev.troupe.runtime.registry.NodeCredentials.newToken();
    registryService.admitMembersOf("launcher", memberKey);
    registry = new NodeServer(registryNode, "127.0.0.1", 0, ChannelSettings.defaults())
        .addService(registryService).start();
    List<String> workerArgs = new ArrayList<>(List.of("--registry", registry.address(), "--owner", "launcher",
        "--host", HOST, "--max-processes", Integer.toString(settings.maxProcessesPerJvm())));
    entries.forEach(e -> workerArgs.addAll(List.of("--entry", e)));
    isolated.forEach(e -> workerArgs.addAll(List.of("--isolated", e)));
    String java = ProcessHandle.current().info().command().orElseThrow();
    String cp = System.getProperty("java.class.path");
    AtomicReference<Node> node = new AtomicReference<>();
    pool = new WorkerPool(settings, new JvmForker(java, cp, 128, carrierThreads, null, workerArgs, memberKey,
        jvmOptions),
        new dev.troupe.launcher.server.GrpcLoadProbe(), node::get);
    Set<String> ids = new java.util.HashSet<>();
    entries.forEach(e -> ids.add(e.substring(0, e.indexOf('='))));
    node.set(new Node(NodeConfig.defaults("launcher").withDefaultClientHost("launcher:clients"), directory,
        List.of(new WorkerPoolHost(HOST, ids, isolated, pool))));
    node.get().onPeerUp(pool::onMemberUp);
    server = new NodeServer(node.get(), "127.0.0.1", 0, ChannelSettings.defaults()).start();
    pool.start();
    AttachedProcess client = GrpcAttach.attach(registry.address(), "", "test", Duration.ofSeconds(10));
    cleanup.add(client);
    return client;
  }

  private static PoolSettings settings(int minSpares, int maxWorkers) {
    return settings(minSpares, maxWorkers, 1000);
  }

  private static PoolSettings settings(int minSpares, int maxWorkers, int perJvm) {
    return new PoolSettings(minSpares, maxWorkers, 2, Duration.ofSeconds(60), perJvm,
        Duration.ofSeconds(60), Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100));
  }

  private static long jvmOf(AttachedProcess client) throws InterruptedException {
    Message m = client.inbox().receive(Duration.ofSeconds(30)).orElseThrow().value();
    assertThat(m.topic()).isEqualTo("jvm");
    return ((Number) m.payload()).longValue();
  }

  @Test
  void spawnsAreServedByPreForkedSpareJvms() throws Exception {
    // given a launcher whose two spares have attached
    AttachedProcess client = startLauncher(settings(2, 8));
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
  void theOperatorsJvmOptionsTakeEffectInTheWorkerJvms() throws Exception {
    // given a launcher told to give its worker JVMs another collector and a system property
    AttachedProcess client = startLauncher(settings(1, 8), 8,
        List.of("-XX:+UseSerialGC", "-Dtroupe.test.option=on"));

    // when a process reports what its JVM runs with
    client.spawnMonitored("test:settings", HOST, client.pid(), "troupe.test.option");

    // then its JVM started with the serial collector alone (the launcher's own left out: the JVM refuses
    // two) and has the property
    Message m = client.inbox().receive(Duration.ofSeconds(60)).orElseThrow().value();
    assertThat(m.topic()).isEqualTo("settings");
    java.util.Map<?, ?> settings = (java.util.Map<?, ?>) m.payload();
    assertThat(settings.get("gc")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
        .containsExactlyInAnyOrder("Copy", "MarkSweepCompact");
    assertThat(settings.get("property")).isEqualTo("on");
  }

  @Test
  void killingAWorkerJvmGivesItsMonitorAnExitThatNamesTheSignal() throws Exception {
    AttachedProcess client = startLauncher(settings(1, 8));
    String child = client.spawnMonitored("test:report-sleep", HOST, client.pid(), 60_000);
    long jvm = jvmOf(client);

    ProcessHandle.of(jvm).orElseThrow().destroyForcibly(); // SIGKILL

    Event exit = client.events().receive(Duration.ofSeconds(5)).orElseThrow().value();
    assertThat(exit.from()).isEqualTo(child);
    assertThat(exit.result().isError()).isTrue();
    assertThat(exit.result().error()).contains("signal 9").contains("SIGKILL");
  }

  @Test
  void aJvmGivenToAnIsolatedProcessIsStoppedOnceTheProcessEnded() throws Exception {
    AttachedProcess client = startLauncher(settings(0, 8));
    client.spawnMonitored("test:isolated-sleep", HOST, client.pid(), 0);
    long first = jvmOf(client);
    assertThat(client.events().receive(Duration.ofSeconds(10)).orElseThrow().value().result().value())
        .isEqualTo("done");

    await("until its JVM is gone").atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(first).map(h -> !h.isAlive()).orElse(true));
    client.spawnMonitored("test:isolated-sleep", HOST, client.pid(), 0);
    assertThat(jvmOf(client)).as("the next isolated process gets a new JVM").isNotEqualTo(first);
    assertThat(pool.stats().retired()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void manyProcessesShareOneWorkerJvm() throws Exception {
    // given a launcher with one warm JVM and room for 1,000 processes in it
    AttachedProcess client = startLauncher(settings(1, 8, 1000));
    await("until the spare is ready").atMost(Duration.ofSeconds(60)).until(() -> pool.stats().spares() == 1);

    // when 200 processes that stay alive are spawned
    List<String> children = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      children.add(client.spawn("test:answer", HOST, client.pid()));
    }
    Set<Long> jvms = new java.util.HashSet<>();
    for (int i = 0; i < 200; i++) {
      jvms.add(jvmOf(client));
    }

    // then all of them run in that one JVM, and each answers on its own
    assertThat(jvms).as("OS processes running the 200 processes").hasSize(1);
    assertThat(pool.jvmPids()).as("worker JVMs of the pool").containsExactlyElementsOf(jvms);
    await("the pool hears how many it runs").until(() -> pool.stats().processes() == 200);
    for (String c : children) {
      client.send(c, "ping", c);
    }
    Set<Object> answered = new java.util.HashSet<>();
    for (int i = 0; i < 200; i++) {
      Message m = client.inbox().receive(Duration.ofSeconds(10)).orElseThrow().value();
      assertThat(m.topic()).isEqualTo("pong");
      assertThat(m.payload()).isEqualTo(m.from());
      answered.add(m.from());
    }
    assertThat(answered).containsExactlyInAnyOrderElementsOf(children);
  }

  @Test
  void aProcessThatThrowsEndsAloneAndItsJvmServesTheOthers() throws Exception {
    AttachedProcess client = startLauncher(settings(1, 8, 1000));
    String survivor = client.spawnMonitored("test:answer", HOST, client.pid());
    long jvm = jvmOf(client);

    // when a process of the same JVM throws
    String thrower = client.spawnMonitored("test:throw", HOST, client.pid());
    assertThat(jvmOf(client)).as("the thrower shares the survivor's JVM").isEqualTo(jvm);

    // then it alone ends, with its error
    Event exit = client.events().receive(Duration.ofSeconds(10)).orElseThrow().value();
    assertThat(exit.from()).isEqualTo(thrower);
    assertThat(exit.result().error()).contains("deliberate bug");
    // and the JVM goes on: the survivor answers, and a new process is placed there
    client.send(survivor, "ping", "still there?");
    assertThat(client.inbox().receive(Duration.ofSeconds(10)).orElseThrow().value().from()).isEqualTo(survivor);
    client.spawn("test:answer", HOST, client.pid());
    assertThat(jvmOf(client)).isEqualTo(jvm);
    assertThat(ProcessHandle.of(jvm).map(ProcessHandle::isAlive)).contains(true);
    assertThat(client.events().receive(Duration.ofMillis(300))).as("no other EXIT").isEmpty();
  }

  @Test
  void killingAWorkerJvmGivesEveryMonitorOfEveryProcessItHostedOneExitNamingTheSignal() throws Exception {
    // given 50 monitored processes in one JVM, each also monitored by a second watcher
    AttachedProcess client = startLauncher(settings(1, 8, 1000));
    AttachedProcess watcher = GrpcAttach.attach(server.address(), "", "watcher", Duration.ofSeconds(10));
    cleanup.add(watcher);
    Set<String> children = new java.util.HashSet<>();
    for (int i = 0; i < 50; i++) {
      String c = client.spawnMonitored("test:answer", HOST, client.pid());
      watcher.monitor(c);
      children.add(c);
    }
    Set<Long> jvms = new java.util.HashSet<>();
    for (int i = 0; i < 50; i++) {
      jvms.add(jvmOf(client));
    }
    assertThat(jvms).hasSize(1);

    // when that JVM is killed with SIGKILL
    ProcessHandle.of(jvms.iterator().next()).orElseThrow().destroyForcibly();

    // then each monitor of each process gets exactly one EXIT naming the signal
    for (AttachedProcess m : List.of(client, watcher)) {
      Set<String> exited = new java.util.HashSet<>();
      for (int i = 0; i < 50; i++) {
        Event e = m.events().receive(Duration.ofSeconds(10)).orElseThrow().value();
        assertThat(e.result().error()).isEqualTo("worker JVM killed by signal 9 (SIGKILL)");
        assertThat(exited.add(e.from())).as("one EXIT for %s", e.from()).isTrue();
      }
      assertThat(exited).isEqualTo(children);
    }
    assertThat(client.events().receive(Duration.ofMillis(500))).as("no second EXIT").isEmpty();
    assertThat(watcher.events().receive(Duration.ofMillis(100))).as("no second EXIT").isEmpty();
    // and the pool goes on with a new JVM
    client.spawn("test:answer", HOST, client.pid());
    assertThat(jvmOf(client)).isNotIn(jvms);
  }

  @Test
  void anIsolatedEntryGetsAJvmOfItsOwn() throws Exception {
    AttachedProcess client = startLauncher(settings(1, 8, 1000));
    client.spawn("test:answer", HOST, client.pid());
    long shared = jvmOf(client);

    // when an isolation: jvm entry is spawned, then more shared processes
    client.spawn("test:isolated-sleep", HOST, client.pid(), 60_000);
    long own = jvmOf(client);
    for (int i = 0; i < 5; i++) {
      client.spawn("test:answer", HOST, client.pid());
      // then none of them joins it
      assertThat(jvmOf(client)).isEqualTo(shared);
    }
    assertThat(own).as("the isolated process's JVM").isNotEqualTo(shared);
    await("the pool hears the isolated JVM runs one process").until(() -> pool.stats().jvms().stream()
        .filter(PoolStats.Jvm::isolated).map(j -> j.pid() + ":" + j.processes()).toList().equals(List.of(own + ":1")));
  }

  @Test
  void aProcessSpinningOnTheCpuDoesNotStallTheOthersOfItsJvm() throws Exception {
    // given three processes that spin without blocking, in the JVM of a process that answers
    // (the JDK's default scheduler has one carrier per core: 2 here, which the spinners would hold)
    AttachedProcess client = startLauncher(settings(1, 8, 1000), 8);
    String answer = client.spawn("test:answer", HOST, client.pid());
    long jvm = jvmOf(client);
    long spawned = System.nanoTime();
    for (int i = 0; i < 3; i++) {
      client.spawn("test:spin", HOST, client.pid(), 6_000);
    }
    for (int i = 0; i < 3; i++) {
      // each reports before it spins: with too few carriers the third could not even report
      assertThat(jvmOf(client)).isEqualTo(jvm);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - spawned)).as("all three spinning at once").isLessThan(Duration.ofSeconds(3));

    // then the answering process still answers while they spin
    long t0 = System.nanoTime();
    client.send(answer, "ping", 1);
    assertThat(client.inbox().receive(Duration.ofSeconds(2))).as("an answer while 3 processes spin").isPresent();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void aBurstOfSpawnsBeyondTheRunningJvmsLosesNoProcess() throws Exception {
    // given JVMs of 3 processes each that start one at a time, so that most spawns wait for a JVM
    AttachedProcess client = startLauncher(new PoolSettings(1, 20, 1, Duration.ofSeconds(60), 3,
        Duration.ofSeconds(60), Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(100)));
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
    // one JVM of two processes at most
    AttachedProcess client = startLauncher(settings(0, 1, 2));

    assertThatThrownBy(() -> client.spawn("test:nope", HOST))
        .isInstanceOfSatisfying(TroupeException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
          assertThat(e.getMessage()).contains("test:nope");
        });
    client.spawn("test:report-sleep", HOST, client.pid(), 60_000);
    client.spawn("test:report-sleep", HOST, client.pid(), 60_000);
    jvmOf(client);
    jvmOf(client);
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> client.spawn("test:report-sleep", HOST, client.pid(), 0))
        .isInstanceOfSatisfying(TroupeException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
          assertThat(e.getMessage()).contains("--max-processes-per-jvm");
        });
    assertThatThrownBy(() -> client.spawn("test:isolated-sleep", HOST, client.pid(), 0))
        .isInstanceOfSatisfying(TroupeException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED));
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("refused at once").isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void aServiceIsRestartedAfterACrashButNotAfterANormalExit() throws Exception {
    AttachedProcess client = startLauncher(settings(2, 8));
    client.registry().register("observer");
    ServiceSupervisor crashing = new ServiceSupervisor(server.node(), "crasher", "test:name-fail", HOST,
        List.of("observer"), new ServiceSupervisor.RestartPolicy(Duration.ofMillis(100), 0.1, 0)).start();
    cleanup.add(crashing);
    // what a launcher waits for before it says SERVING: the first instance spawned, or given up on
    crashing.firstStart().get(30, java.util.concurrent.TimeUnit.SECONDS);
    ServiceSupervisor missing = new ServiceSupervisor(server.node(), "missing", "test:no-such-entry", HOST,
        List.of(), new ServiceSupervisor.RestartPolicy(Duration.ofMillis(10), 0.1, 1)).start();
    cleanup.add(missing);
    missing.firstStart().get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(missing.current()).isNull();

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
