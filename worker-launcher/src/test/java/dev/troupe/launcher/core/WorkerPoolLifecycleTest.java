package dev.troupe.launcher.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.common.v1.ProcessError;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.Exit;
import dev.troupe.proto.node.v1.Hello;
import dev.troupe.runtime.api.ErrorCode;
import dev.troupe.runtime.api.Event;
import dev.troupe.runtime.api.TroupeException;
import dev.troupe.runtime.directory.InMemoryDirectory;
import dev.troupe.runtime.node.AttachSession;
import dev.troupe.runtime.node.FrameSink;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.process.AttachedProcess;
import dev.troupe.runtime.process.LocalAttach;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool's placement and the life of its JVMs, with fake worker JVMs: a fork gives an OS process
 * stand-in, and the test says when it attaches (hello), what its processes do, and when it dies.
 */
@Timeout(30)
class WorkerPoolLifecycleTest {
  private static final String HOST = "app:processes";

  /** A worker JVM that the test drives. */
  static final class FakeJvm extends Process {
    final String id;
    final long pid;
    final CompletableFuture<Process> exit = new CompletableFuture<>();
    final List<AttachResponse> frames = new CopyOnWriteArrayList<>();
    volatile AttachSession session;

    FakeJvm(String id, long pid) {
      this.id = id;
      this.pid = pid;
    }

    /** The PIDs of the processes handed to it. */
    List<String> assigned() {
      return frames.stream().filter(AttachResponse::hasAttached).map(f -> f.getAttached().getPid()).toList();
    }

    void die(int status) {
      exitValue = status;
      exit.complete(this);
    }

    private volatile int exitValue = -1;

    @Override
    public CompletableFuture<Process> onExit() {
      return exit;
    }

    @Override
    public long pid() {
      return pid;
    }

    @Override
    public boolean isAlive() {
      return !exit.isDone();
    }

    @Override
    public void destroy() {
      die(128 + 15);
    }

    @Override
    public Process destroyForcibly() {
      die(128 + 9);
      return this;
    }

    @Override
    public int waitFor() {
      return exit.join().exitValue();
    }

    @Override
    public int exitValue() {
      if (!exit.isDone()) {
        throw new IllegalThreadStateException("alive");
      }
      return exitValue;
    }

    @Override
    public OutputStream getOutputStream() {
      return OutputStream.nullOutputStream();
    }

    @Override
    public InputStream getInputStream() {
      return InputStream.nullInputStream();
    }

    @Override
    public InputStream getErrorStream() {
      return InputStream.nullInputStream();
    }
  }

  private final Map<String, FakeJvm> forked = new ConcurrentHashMap<>();
  private final List<Long> forkTimes = new CopyOnWriteArrayList<>();
  private final AtomicInteger failNextForks = new AtomicInteger();
  private final AtomicInteger pids = new AtomicInteger(1000);
  private WorkerPool pool;
  private Node node;
  private AttachedProcess client;

  @AfterEach
  void stop() {
    if (pool != null) {
      pool.close();
    }
  }

  private void start(PoolSettings settings) {
    AtomicReference<Node> ref = new AtomicReference<>();
    pool = new WorkerPool(settings, id -> {
      forkTimes.add(System.nanoTime());
      if (failNextForks.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new IOException("deliberate fork failure");
      }
      FakeJvm j = new FakeJvm(id, pids.incrementAndGet());
      forked.put(id, j);
      return j;
    }, ref::get);
    node = new Node(NodeConfig.defaults("launcher"), new InMemoryDirectory(),
        List.of(new WorkerPoolHost(HOST, Set.of("t:shared", "t:alone"), Set.of("t:alone"), pool)));
    ref.set(node);
    pool.start();
    client = LocalAttach.attach(node, "", "test");
  }

  private static PoolSettings settings(int minSpares, int maxWorkers, int perJvm) {
    return new PoolSettings(minSpares, maxWorkers, 2, Duration.ofMillis(300), true, perJvm,
        Duration.ofSeconds(20), Duration.ofMillis(200), Duration.ofMillis(200));
  }

  /** The JVM forked as {@code id} says hello. */
  private FakeJvm attach(String id) {
    FakeJvm j = await("JVM " + id + " forked").until(() -> forked.get(id), x -> x != null);
    FrameSink sink = j.frames::add;
    j.session = new AttachSession(node, sink, pool::onHello);
    j.session.onFrame(AttachRequest.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)
        .setWorkerId(id)).build());
    return j;
  }

  /** The worker of {@code jvm} reports that process {@code pid} returned (or failed). */
  private static void exits(FakeJvm jvm, String pid, boolean error) {
    ExitResult r = error
        ? ExitResult.newBuilder().setError(ProcessError.newBuilder().setMessage("failed")).build()
        : ExitResult.newBuilder().setValue(Payload.getDefaultInstance()).build();
    jvm.session.onFrame(AttachRequest.newBuilder().setPid(pid).setExit(Exit.newBuilder().setResult(r)).build());
  }

  @Test
  void spawnsSpreadOverTheRunningJvmsLeastLoadedFirst() {
    start(settings(2, 4, 100));
    FakeJvm w1 = attach("w1");
    FakeJvm w2 = attach("w2");

    for (int i = 0; i < 10; i++) {
      client.spawn("t:shared", HOST);
    }

    await().until(() -> w1.assigned().size() + w2.assigned().size() == 10);
    assertThat(w1.assigned()).hasSize(5);
    assertThat(w2.assigned()).hasSize(5);
    assertThat(forked).as("no JVM forked beyond the minimum").hasSize(2);
  }

  @Test
  void anotherJvmIsForkedOnlyWhenEveryJvmIsFullAndItsSpawnWaitsForIt() {
    start(settings(1, 4, 3));
    FakeJvm w1 = attach("w1");
    for (int i = 0; i < 3; i++) {
      client.spawn("t:shared", HOST);
    }
    await().until(() -> w1.assigned().size() == 3);
    assertThat(forked).as("three processes fit the one JVM").hasSize(1);

    String fourth = client.spawn("t:shared", HOST);
    client.send(fourth, "hi", "sent before its JVM is up");

    FakeJvm w2 = attach("w2");
    await().until(() -> w2.assigned().contains(fourth));
    assertThat(w1.assigned()).doesNotContain(fourth);
    await("the message sent right after the spawn reaches it").until(() -> w2.frames.stream()
        .anyMatch(f -> f.hasDelivery() && f.getPid().equals(fourth)));
  }

  @Test
  void aSpawnBeyondEveryLimitIsRefusedAtOnce() {
    start(settings(1, 1, 2));
    attach("w1");
    client.spawn("t:shared", HOST);
    client.spawn("t:shared", HOST);

    assertThatThrownBy(() -> client.spawn("t:shared", HOST))
        .isInstanceOfSatisfying(TroupeException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
          assertThat(e.getMessage()).contains("--max-processes-per-jvm").contains("--max-workers");
        });
    assertThatThrownBy(() -> client.spawn("t:alone", HOST))
        .isInstanceOfSatisfying(TroupeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED));
    assertThatThrownBy(() -> client.spawn("t:unknown", HOST))
        .isInstanceOfSatisfying(TroupeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @Test
  void aJvmThatCannotStartIsRetriedWithBackOffAndTheSpawnsWaitingForItAreKept() throws Exception {
    // given no JVM yet, and forks that fail twice
    start(settings(0, 2, 100));
    failNextForks.set(2);

    // when a process is spawned
    String child = client.spawnMonitored("t:shared", HOST);

    // then the pool forks again, backing off (200 ms, then 400 ms), until a JVM comes up and runs it
    FakeJvm w = await().atMost(Duration.ofSeconds(5)).until(() -> forked.values().stream().findFirst().orElse(null),
        x -> x != null);
    attach(w.id);
    await().until(() -> w.assigned().contains(child));
    assertThat(forkTimes).hasSize(3);
    assertThat(Duration.ofNanos(forkTimes.get(1) - forkTimes.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(190));
    assertThat(Duration.ofNanos(forkTimes.get(2) - forkTimes.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(390));
    assertThat(pool.stats().failedStarts()).isEqualTo(2);
    assertThat(client.events().receive(Duration.ofMillis(300))).as("no EXIT: the process runs").isEmpty();
  }

  @Test
  void aJvmThatDiesEndsEveryProcessItHostedOnceWithTheCauseAndNothingElse() throws Exception {
    start(settings(2, 4, 100));
    FakeJvm w1 = attach("w1");
    FakeJvm w2 = attach("w2");
    List<String> children = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      children.add(client.spawnMonitored("t:shared", HOST));
    }
    await().until(() -> w1.assigned().size() == 3 && w2.assigned().size() == 3);

    w1.die(128 + 9);
    w1.session.onClosed("attach stream broke"); // its stream breaks too: still one EXIT each

    Set<String> exited = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      Event e = client.events().receive(Duration.ofSeconds(5)).orElseThrow().value();
      assertThat(e.result().error()).isEqualTo("worker JVM killed by signal 9 (SIGKILL)");
      assertThat(exited.add(e.from())).isTrue();
    }
    assertThat(exited).containsExactlyInAnyOrderElementsOf(w1.assigned());
    assertThat(client.events().receive(Duration.ofMillis(400))).as("no more EXITs").isEmpty();
    assertThat(pool.stats().processes()).as("w2's processes live on").isEqualTo(3);
  }

  @Test
  void idleJvmsAboveTheMinimumAreReaped() {
    start(settings(1, 4, 1));
    FakeJvm w1 = attach("w1");
    String a = client.spawn("t:shared", HOST);
    String b = client.spawn("t:shared", HOST);
    FakeJvm w2 = attach("w2");
    await().until(() -> w1.assigned().contains(a) && w2.assigned().contains(b));

    exits(w1, a, false);
    exits(w2, b, false);

    await("one idle JVM reaped").atMost(Duration.ofSeconds(5)).until(() -> w1.exit.isDone() ^ w2.exit.isDone());
    await().until(() -> pool.stats().jvms().size() == 1);
    assertThat(pool.stats().reaped()).isEqualTo(1);
  }

  @Test
  void anIsolatedProcessGetsAJvmOfItsOwnKeptAfterACleanExitAndStoppedAfterAnError() {
    start(settings(1, 4, 100));
    FakeJvm w1 = attach("w1");
    client.spawn("t:shared", HOST);
    await().until(() -> w1.assigned().size() == 1);

    String alone = client.spawn("t:alone", HOST);
    FakeJvm w2 = attach("w2");
    await().until(() -> w2.assigned().contains(alone));
    String shared = client.spawn("t:shared", HOST);
    await().until(() -> w1.assigned().contains(shared));
    assertThat(w2.assigned()).as("nothing joins the isolated process").containsExactly(alone);

    // a clean exit: the JVM serves again
    exits(w2, alone, false);
    String again = client.spawn("t:alone", HOST);
    await().until(() -> w2.assigned().contains(again));
    assertThat(forked).hasSize(2);

    // an error: the JVM is stopped
    exits(w2, again, true);
    await().until(() -> w2.exit.isDone());
  }
}
