package dev.troupe.launcher.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.registry.DirectoryListener;
import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.registry.Shard;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool's placement and the life of its JVMs, with fake worker JVMs: a fork gives an OS process
 * stand-in, and the test says when it joins the directory as a member, how many processes it reports,
 * and when it dies.
 */
@Timeout(30)
class WorkerPoolLifecycleTest {
  private static final String HOST = "app:processes";
  private static final Duration CRASH_REPLACE_DELAY = Duration.ofMillis(300);

  /** A worker JVM that the test drives. */
  static final class FakeJvm extends Process {
    final String id;
    final long pid;
    final CompletableFuture<Process> exit = new CompletableFuture<>();
    final boolean dedicated;

    FakeJvm(String id, long pid, boolean dedicated) {
      this.id = id;
      this.pid = pid;
      this.dedicated = dedicated;
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
  private final AtomicLong incarnations = new AtomicLong(100);
  /** What each member says when the pool asks for its load, by node name. */
  private final Map<String, LoadProbe.Load> loads = new ConcurrentHashMap<>();
  /** While set, the directory takes reports of lost members and tells nobody (a slow or far registry). */
  private final java.util.concurrent.atomic.AtomicBoolean registrySilent = new java.util.concurrent.atomic.AtomicBoolean();
  private final List<String> reported = new CopyOnWriteArrayList<>();
  private final InMemoryDirectory directory = new InMemoryDirectory();
  /** The pool's requests to drain, by node name; completed at once unless {@link #holdDrains} is set. */
  private final Map<String, CompletableFuture<Void>> drains = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicBoolean holdDrains = new java.util.concurrent.atomic.AtomicBoolean();

  /** The launcher's node's view of the directory: reports of lost members are recorded, and dropped while silent. */
  private final class LauncherDirectory implements dev.troupe.runtime.registry.Directory {
    @Override
    public void declareLost(NodeRecord by, String member, long incarnation, String reason) {
      reported.add(member + ": " + reason);
      if (!registrySilent.get()) {
        directory.declareLost(by, member, incarnation, reason);
      }
    }

    @Override
    public long join(NodeRecord self, Map<String, Pid> names, DirectoryListener listener) {
      return directory.join(self, names, listener);
    }

    @Override
    public void leave(NodeRecord self) {
      directory.leave(self);
    }

    @Override
    public java.util.Optional<NodeRecord> nodeServing(String host) {
      return directory.nodeServing(host);
    }

    @Override
    public java.util.Optional<NodeRecord> node(String name) {
      return directory.node(name);
    }

    @Override
    public java.util.Collection<NodeRecord> nodes() {
      return directory.nodes();
    }

    @Override
    public CompletableFuture<Void> register(NodeRecord by, String name, Pid owner) {
      return directory.register(by, name, owner);
    }

    @Override
    public CompletableFuture<Boolean> unregister(NodeRecord by, String name, Pid owner) {
      return directory.unregister(by, name, owner);
    }

    @Override
    public CompletableFuture<java.util.Optional<Pid>> lookup(String name) {
      return directory.lookup(name);
    }

    @Override
    public CompletableFuture<List<String>> releaseAll(NodeRecord by, Pid owner) {
      return directory.releaseAll(by, owner);
    }

    @Override
    public Map<String, Pid> names() {
      return directory.names();
    }

    @Override
    public byte[] peerTicket(NodeRecord self, NodeRecord peer) {
      return directory.peerTicket(self, peer);
    }

    @Override
    public boolean admitsPeer(NodeRecord self, NodeRecord claimed, byte[] ticket) {
      return directory.admitsPeer(self, claimed, ticket);
    }
  }
  private final List<String> lost = new CopyOnWriteArrayList<>();
  private WorkerPool pool;
  private Node launcher;

  @AfterEach
  void stop() {
    if (pool != null) {
      pool.close();
    }
  }

  private void start(PoolSettings settings) {
    AtomicReference<Node> ref = new AtomicReference<>();
    LoadProbe probe = new LoadProbe() {
      @Override
      public CompletableFuture<Load> load(NodeRecord member) {
        return CompletableFuture.completedFuture(loads.getOrDefault(member.name(), new LoadProbe.Load(0, 0)));
      }

      @Override
      public CompletableFuture<Void> drain(NodeRecord member) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        drains.put(member.name(), f);
        if (!holdDrains.get()) {
          f.complete(null);
        }
        return f;
      }
    };
    pool = new WorkerPool(settings, (name, dedicated) -> {
      forkTimes.add(System.nanoTime());
      if (failNextForks.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new IOException("deliberate fork failure");
      }
      FakeJvm j = new FakeJvm(name, pids.incrementAndGet(), dedicated);
      forked.put(name, j);
      return j;
    }, probe, ref::get);
    launcher = new Node(NodeConfig.defaults("launcher"), new LauncherDirectory(),
        List.of(new WorkerPoolHost(HOST, Set.of("t:shared", "t:alone"), Set.of("t:alone"), pool)));
    ref.set(launcher);
    launcher.start("127.0.0.1:1", dev.troupe.runtime.node.PeerTransport.NONE);
    directory.addListener(new DirectoryListener() {
      @Override
      public void nodeUp(NodeRecord node) {}

      @Override
      public void nodeLost(NodeRecord node, String reason) {
        lost.add(node.name() + ": " + reason);
      }

      @Override
      public void nameChanged(String name, Pid owner) {}
    });
    pool.start();
  }

  private static PoolSettings settings(int minSpares, int maxWorkers, int perJvm) {
    return new PoolSettings(minSpares, maxWorkers, 2, Duration.ofMillis(300), perJvm,
        Duration.ofSeconds(20), Duration.ofMillis(50), Duration.ofMillis(200), CRASH_REPLACE_DELAY);
  }

  /** The JVM forked as {@code name} joins the directory as a member, and the pool hears of it. */
  private NodeRecord join(String name) {
    FakeJvm j = await("JVM " + name + " forked").until(() -> forked.get(name), x -> x != null);
    NodeRecord asked = new NodeRecord(name, incarnations.incrementAndGet(), "127.0.0.1:2", List.of(),
        new Shard(HOST, 0, 0, "launcher", j.dedicated));
    long first = directory.join(asked, Map.of(), null);
    NodeRecord record = asked.withShardFrom(first);
    pool.onMemberUp(record);
    return record;
  }

  @Test
  void spawnsThatReachTheLauncherGoToTheLeastLoadedRunningJvm() {
    start(settings(2, 4, 100));
    NodeRecord w1 = join("launcher.w1");
    NodeRecord w2 = join("launcher.w2");
    loads.put(w1.name(), new LoadProbe.Load(7, 7));
    loads.put(w2.name(), new LoadProbe.Load(3, 3));
    await("the pool has asked both").until(() -> pool.stats().processes() == 10);

    assertThat(pool.place(false).join()).isEqualTo(w2);
    assertThat(forked).as("no JVM forked beyond the minimum").hasSize(2);
  }

  @Test
  void anotherJvmIsForkedOnlyWhenEveryJvmIsFullAndItsSpawnWaitsForItToJoin() {
    start(settings(1, 4, 3));
    NodeRecord w1 = join("launcher.w1");
    loads.put(w1.name(), new LoadProbe.Load(2, 2));
    await().until(() -> pool.stats().processes() == 2);
    assertThat(pool.place(false).join()).as("a third process fits the one JVM").isEqualTo(w1);
    assertThat(forked).hasSize(1);

    CompletableFuture<NodeRecord> fourth = pool.place(false);
    assertThat(fourth).isNotDone();
    NodeRecord w2 = join("launcher.w2");
    assertThat(fourth.join()).isEqualTo(w2);
  }

  @Test
  void aJvmWhoseHeapIsFullAfterCollectionGetsNoProcessAndAnotherIsForked() {
    // given one JVM far below the count, but whose heap is too full after collection
    start(settings(1, 4, 100));
    NodeRecord w1 = join("launcher.w1");
    loads.put(w1.name(), new LoadProbe.Load(2, 2, true));
    await().until(() -> pool.stats().processes() == 2);

    // when a spawn reaches the launcher, it waits for a new JVM rather than go to the full one
    CompletableFuture<NodeRecord> next = pool.place(false);
    assertThat(next).isNotDone();
    assertThat(forked).hasSize(2);
    NodeRecord w2 = join("launcher.w2");
    assertThat(next.join()).isEqualTo(w2);

    // and once a collection freed room, it takes processes again (w2 has room meanwhile: every
    // placement resolves at once, and the least loaded gets it)
    loads.put(w1.name(), new LoadProbe.Load(0, 2, false));
    await().until(() -> pool.place(false).join().equals(w1));
    assertThat(forked).as("no third JVM").hasSize(2);
  }

  @Test
  void aSpawnBeyondEveryLimitIsRefusedAtOnce() {
    start(settings(1, 1, 2));
    NodeRecord w1 = join("launcher.w1");
    loads.put(w1.name(), new LoadProbe.Load(2, 2));
    await().until(() -> pool.stats().processes() == 2);

    assertThat(pool.place(false)).failsWithin(Duration.ofMillis(100)).withThrowableThat()
        .havingCause().isInstanceOfSatisfying(TroupeException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
          assertThat(e.getMessage()).contains("--max-processes-per-jvm").contains("--max-workers");
        });
    assertThatThrownBy(() -> pool.checkCapacity(true))
        .isInstanceOfSatisfying(TroupeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED));
    WorkerPoolHost front = new WorkerPoolHost(HOST, Set.of("t:shared"), Set.of(), pool);
    assertThat(front.placeElsewhere("t:unknown", "relay", List.of())).failsWithin(Duration.ofMillis(100))
        .withThrowableThat().havingCause().isInstanceOfSatisfying(TroupeException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @Test
  void aJvmThatCannotStartIsRetriedWithBackOffAndTheSpawnsWaitingForItAreKept() {
    // given no JVM yet, and forks that fail twice
    start(settings(0, 2, 100));
    failNextForks.set(2);

    // when a spawn reaches the launcher
    CompletableFuture<NodeRecord> where = pool.place(false);

    // then the pool forks again, backing off (200 ms, then 400 ms), until a JVM comes up and takes it
    String name = await().atMost(Duration.ofSeconds(5)).until(() -> forked.keySet().stream().findFirst().orElse(null),
        x -> x != null);
    NodeRecord w = join(name);
    assertThat(where.join()).isEqualTo(w);
    assertThat(forkTimes).hasSize(3);
    assertThat(Duration.ofNanos(forkTimes.get(1) - forkTimes.get(0))).isGreaterThanOrEqualTo(Duration.ofMillis(190));
    assertThat(Duration.ofNanos(forkTimes.get(2) - forkTimes.get(1))).isGreaterThanOrEqualTo(Duration.ofMillis(390));
    assertThat(pool.stats().failedStarts()).isEqualTo(2);
  }

  @Test
  void aJvmThatDiesIsDeclaredLostWithTheSignalThatKilledItAndNothingElseIs() {
    start(settings(2, 4, 100));
    NodeRecord w1 = join("launcher.w1");
    join("launcher.w2");

    long died = System.nanoTime();
    forked.get(w1.name()).die(128 + 9);

    await().until(() -> !lost.isEmpty());
    assertThat(lost).containsExactly("launcher.w1: worker JVM killed by signal 9 (SIGKILL)");
    assertThat(directory.node("launcher.w2")).as("the other JVM lives on").isPresent();
    assertThat(pool.stats().crashed()).isEqualTo(1);
    await("a spare replaces it").until(() -> forked.size() == 3);
    assertThat(forkTimes.get(2) - died).as("its replacement waited, so that the loss reached every node first")
        .isGreaterThanOrEqualTo(CRASH_REPLACE_DELAY.toNanos());
  }

  /** With one process per JVM: w1 runs one, so the spawn after it forks w2, which takes it. */
  private NodeRecord[] twoJvmsAboveAMinimumOfOne() {
    NodeRecord w1 = join("launcher.w1");
    loads.put(w1.name(), new LoadProbe.Load(1, 1));
    await().until(() -> pool.stats().processes() == 1);
    CompletableFuture<NodeRecord> second = pool.place(false);
    NodeRecord w2 = join("launcher.w2");
    assertThat(second.join()).isEqualTo(w2);
    return new NodeRecord[] {w1, w2};
  }

  @Test
  void aJvmToBeReapedIsToldToTakeNoNewProcessAndStoppedOnlyOnceItHasAndRunsNothing() {
    // given two JVMs above a minimum of one, the second idle
    holdDrains.set(true);
    start(settings(1, 4, 1));
    NodeRecord[] w = twoJvmsAboveAMinimumOfOne();
    NodeRecord w1 = w[0];
    NodeRecord w2 = w[1];
    loads.put(w2.name(), new LoadProbe.Load(0, 1));

    // when it has been idle past the reaping delay, it is told to drain, and not stopped meanwhile
    await().until(() -> drains.containsKey(w2.name()));
    await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(2)).until(() -> forked.get(w2.name()).isAlive());
    // a spawn a spawner placed on it before it drained keeps it running
    loads.put(w2.name(), new LoadProbe.Load(1, 2));
    drains.get(w2.name()).complete(null);
    await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(2)).until(() -> forked.get(w2.name()).isAlive());

    // then once it runs nothing, it is stopped (not as a crash)
    loads.put(w2.name(), new LoadProbe.Load(0, 2));
    await().until(() -> !forked.get(w2.name()).isAlive());
    assertThat(pool.stats().crashed()).isZero();
    assertThat(pool.stats().reaped()).isEqualTo(1);
  }

  @Test
  void theLaunchersNodeLearnsOfADeathFirstHandWithoutWaitingForTheRegistry() {
    start(settings(2, 4, 100));
    NodeRecord w1 = join("launcher.w1");
    NodeRecord w2 = join("launcher.w2");
    registrySilent.set(true);

    forked.get(w1.name()).die(128 + 9);

    await().until(() -> reported.contains("launcher.w1: worker JVM killed by signal 9 (SIGKILL)"));
    await().until(() -> launcher.isLost(w1.name(), w1.incarnation()));
    assertThat(lost).as("the registry told nobody").isEmpty();
    assertThat(launcher.isLost(w2.name(), w2.incarnation())).isFalse();
  }

  @Test
  void aJvmThePoolStopsItselfIsNotTakenForLostFirstHand() {
    start(settings(1, 4, 100));
    join("launcher.w1");
    registrySilent.set(true);
    // an isolated spawn's JVM, stopped by the pool once its process ended
    pool.place(true);
    NodeRecord w2 = join("launcher.w2");
    loads.put(w2.name(), new LoadProbe.Load(1, 1));
    await().until(() -> pool.stats().processes() == 1);
    loads.put(w2.name(), new LoadProbe.Load(0, 1));
    await("stopped after its process ended").until(() -> forked.get(w2.name()).exit.isDone());

    await().until(() -> reported.size() == 1);
    assertThat(launcher.isLost(w2.name(), w2.incarnation())).isFalse();
  }

  @Test
  void aSpawnThatNeedsAJvmRightAfterACrashDoesNotWaitForTheReplacementDelay() {
    start(settings(1, 4, 1));
    NodeRecord w1 = join("launcher.w1");
    forked.get(w1.name()).die(128 + 9);
    await().until(() -> !lost.isEmpty());
    long asked = System.nanoTime();

    CompletableFuture<NodeRecord> placed = pool.place(false);

    await("a JVM forked for the waiting spawn").until(() -> forked.size() == 2);
    assertThat(forkTimes.get(1) - asked).as("forked at once, not after the crash delay")
        .isLessThan(CRASH_REPLACE_DELAY.toNanos());
    NodeRecord w2 = join("launcher.w2");
    assertThat(placed.join().name()).isEqualTo(w2.name());
  }

  @Test
  void idleJvmsAboveTheMinimumAreReaped() {
    start(settings(1, 4, 1));
    NodeRecord[] w = twoJvmsAboveAMinimumOfOne();
    NodeRecord w1 = w[0];
    NodeRecord w2 = w[1];

    loads.put(w1.name(), new LoadProbe.Load(0, 1));

    await("one idle JVM reaped").atMost(Duration.ofSeconds(5))
        .until(() -> forked.get(w1.name()).exit.isDone() ^ forked.get(w2.name()).exit.isDone());
    await().until(() -> pool.stats().jvms().size() == 1);
    assertThat(pool.stats().reaped()).isEqualTo(1);
  }

  @Test
  void anIsolatedSpawnGetsADedicatedJvmThatIsStoppedOnceItsProcessEnded() {
    start(settings(1, 4, 100));
    NodeRecord w1 = join("launcher.w1");

    CompletableFuture<NodeRecord> where = pool.place(true);
    String name = "launcher.w2";
    NodeRecord w2 = join(name);
    assertThat(w2.shard().dedicated()).isTrue();
    assertThat(where.join()).isEqualTo(w2);
    assertThat(pool.place(false).join()).as("shared spawns never go to it").isEqualTo(w1);

    loads.put(name, new LoadProbe.Load(1, 1));
    await().until(() -> pool.stats().processes() == 1);
    assertThat(forked.get(name).exit).isNotDone();

    loads.put(name, new LoadProbe.Load(0, 1));
    await("stopped after its process ended").until(() -> forked.get(name).exit.isDone());
    assertThat(pool.stats().retired()).isEqualTo(1);
  }

  @Test
  void aJvmThatHasUsedUpItsIdsTakesNoMoreSpawnsIsReplacedAndStopsWhenItRunsNothing() {
    start(settings(1, 4, 100));
    NodeRecord w1 = join("launcher.w1");
    // it has started all but 150 of its ids and runs 3 processes
    loads.put(w1.name(), new LoadProbe.Load(3, Shard.SPAN - 1 - 150));

    await("a replacement is forked").until(() -> forked.containsKey("launcher.w2"));
    NodeRecord w2 = join("launcher.w2");
    assertThat(pool.place(false).join()).as("spawns go to the replacement").isEqualTo(w2);
    assertThat(forked.get(w1.name()).exit).as("it still runs its processes").isNotDone();

    loads.put(w1.name(), new LoadProbe.Load(0, Shard.SPAN - 1 - 150));
    await("stopped once it runs nothing").until(() -> forked.get(w1.name()).exit.isDone());
  }

  @Test
  void aJvmThatRefusedASpawnForWantOfRoomIsCountedFullUntilItReportsAgain() {
    start(settings(2, 4, 100));
    NodeRecord w1 = join("launcher.w1");
    NodeRecord w2 = join("launcher.w2");
    loads.put(w1.name(), new LoadProbe.Load(0, 0));
    loads.put(w2.name(), new LoadProbe.Load(10, 10));
    await().until(() -> pool.stats().processes() == 10);

    // when w1 (idle as far as the pool knows) refused the spawn, as a spawner or w1 itself says
    pool.full(List.of(w1.name()));

    // then the spawn goes to w2, although w2 reported more processes
    assertThat(pool.place(false).join()).isEqualTo(w2);
  }
}
