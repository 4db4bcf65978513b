package dev.troupe.launcher.core;

import dev.troupe.proto.common.v1.ErrorKind;
import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.runtime.api.ErrorCode;
import dev.troupe.runtime.api.TroupeException;
import dev.troupe.runtime.node.AttachSession;
import dev.troupe.runtime.node.BufferingSink;
import dev.troupe.runtime.node.Frames;
import dev.troupe.runtime.node.LocalProcess;
import dev.troupe.runtime.node.Node;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The launcher's worker JVMs, each hosting many processes. A spawn is placed on a running JVM with
 * room ({@link Placement}) and handed to it at once; a JVM is forked only when every one is full or a
 * process asks for a JVM of its own, and never more than {@code maxWorkers}: beyond that a spawn is
 * refused with RESOURCE_EXHAUSTED, never left to wait. About one JVM per core is kept warm
 * ({@code minSpares}); idle ones above it are reaped. A JVM that fails to start is forked again after
 * a back-off, and the spawns that waited for it go with it. When a JVM dies, every process it hosted
 * ends with an EXIT that names the cause (the signal, from {@link Process#onExit()}), and nothing
 * else is touched.
 */
public final class WorkerPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);
  private static final long TICK_MS = 100;

  private final PoolSettings settings;
  private final WorkerForker forker;
  private final Supplier<Node> node;
  private final Placement placement;
  private final Map<String, WorkerJvm> jvms = new LinkedHashMap<>();
  private final Map<LocalProcess, WorkerJvm> placedOn = new HashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong forked = new AtomicLong();
  private final AtomicLong reaped = new AtomicLong();
  private final AtomicLong crashed = new AtomicLong();
  private final AtomicLong reused = new AtomicLong();
  private final AtomicLong failedStarts = new AtomicLong();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "worker-pool");
    t.setDaemon(true);
    return t;
  });
  private final CompletableFuture<Void> firstSpare = new CompletableFuture<>();
  private int startFailuresInARow;
  private long noForkBeforeNanos;
  private boolean closed;

  public WorkerPool(PoolSettings settings, WorkerForker forker, Supplier<Node> node) {
    this.settings = settings;
    this.forker = forker;
    this.node = node;
    this.placement = new Placement(settings.maxProcessesPerJvm());
  }

  /** Forks the first JVMs and starts the pool's clock (forks, start timeouts, reaping). */
  public void start() {
    pump();
    timer.scheduleAtFixedRate(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
  }

  /** Completes when the first worker JVM has attached: from then on a spawn is served at once. */
  public CompletableFuture<Void> firstSpare() {
    return firstSpare;
  }

  public synchronized PoolStats stats() {
    int spares = 0;
    int busy = 0;
    int starting = 0;
    int waiting = 0;
    int processes = 0;
    List<PoolStats.Jvm> each = new ArrayList<>();
    for (WorkerJvm j : jvms.values()) {
      if (j.isIdle()) {
        spares++;
      } else if (j.state() == WorkerJvm.State.RUNNING) {
        busy++;
      } else if (j.state() == WorkerJvm.State.QUEUED || j.state() == WorkerJvm.State.STARTING) {
        starting++;
      }
      waiting += j.load() - j.hostedCount();
      processes += j.hostedCount();
      each.add(new PoolStats.Jvm(j.id, j.process() == null ? 0 : j.process().pid(), j.state().name(),
          j.hostedCount(), j.dedicated()));
    }
    return new PoolStats(spares, busy, starting, waiting, processes, forked.get(), reaped.get(),
        crashed.get(), reused.get(), failedStarts.get(), List.copyOf(each));
  }

  // ---------------------------------------------------------------- spawning

  /**
   * Refuses at once a spawn the pool could not place, now or on a JVM it may still fork.
   *
   * @param isolated the entry asks for a JVM of its own ({@code isolation: jvm})
   */
  public synchronized void checkCapacity(boolean isolated) {
    if (closed) {
      throw new TroupeException(ErrorCode.UNAVAILABLE, "the launcher is shutting down");
    }
    if (isolated ? !placement.roomForIsolated(jvms.values(), jvms.size(), settings.maxWorkers())
        : !placement.roomForShared(jvms.values(), jvms.size(), settings.maxWorkers())) {
      throw new TroupeException(ErrorCode.RESOURCE_EXHAUSTED, noRoom(isolated));
    }
  }

  private String noRoom(boolean isolated) {
    return isolated
        ? "all " + settings.maxWorkers() + " worker JVMs are in use and none is free for an isolation: jvm"
            + " entry; retry later or raise --max-workers"
        : "all " + settings.maxWorkers() + " worker JVMs are full (" + settings.maxProcessesPerJvm()
            + " processes each, or given to isolation: jvm entries); retry later or raise"
            + " --max-processes-per-jvm or --max-workers";
  }

  /**
   * Runs {@code process} on a worker JVM with room: at once on a running one, else as soon as the one
   * it is placed on attaches (its frames are held until then). Never waits for a fork.
   */
  public void run(LocalProcess process, String entry, List<Payload> args, boolean isolated) {
    WorkerJvm target;
    boolean now = false;
    synchronized (this) {
      target = closed ? null : isolated ? placement.forIsolated(jvms.values()) : placement.forShared(jvms.values());
      if (target == null && !closed && jvms.size() < settings.maxWorkers()) {
        target = enqueue();
      }
      if (target != null) {
        if (isolated) {
          target.dedicate();
        }
        placedOn.put(process, target);
        if (target.state() == WorkerJvm.State.RUNNING) {
          target.host(process);
          now = true;
        } else {
          target.await(new WorkerJvm.Pending(process, entry, args, System.nanoTime()));
        }
      }
    }
    if (target == null) {
      // Another spawn took the last room between the check and now.
      node.get().exit(process, Frames.error(ErrorKind.ERROR_KIND_CRASHED, noRoom(isolated)));
      return;
    }
    if (now) {
      hand(target.session(), process, entry, args);
    } else {
      pump();
    }
  }

  private static void hand(AttachSession session, LocalProcess process, String entry, List<Payload> args) {
    session.assign(process, entry, args);
    ((BufferingSink) process.sink()).connect(session.sinkFor(process));
  }

  /** A worker JVM attached and said hello: it takes the spawns that waited for it. */
  public void onHello(AttachSession session) {
    WorkerJvm j;
    List<WorkerJvm.Pending> waited;
    synchronized (this) {
      j = jvms.get(session.workerId());
      if (j == null || j.state() != WorkerJvm.State.STARTING) {
        throw new IllegalStateException("unknown worker id " + session.workerId());
      }
      waited = j.attached(session);
      startFailuresInARow = 0;
      noForkBeforeNanos = 0;
    }
    WorkerJvm jvm = j;
    session.onCrash((p, why) -> onStreamClosed(jvm, why));
    firstSpare.complete(null);
    LOG.debug("{}: worker {} ready in {} ms, taking {} waiting spawns", label(), j.id,
        (System.nanoTime() - j.forkedAtNanos()) / 1_000_000, waited.size());
    for (WorkerJvm.Pending p : waited) {
      hand(session, p.process(), p.entry(), p.args());
    }
    pump();
  }

  /** A process of the pool ended (by itself, by the node, or with its JVM). */
  public void onProcessExit(LocalProcess process, ExitResult result) {
    WorkerJvm j;
    boolean retire = false;
    synchronized (this) {
      j = placedOn.remove(process);
      if (j == null) {
        return;
      }
      j.remove(process);
      if (j.dedicated() && j.isLive()) {
        if (!result.hasError() && settings.reuse() && !closed && j.state() == WorkerJvm.State.RUNNING) {
          j.share();
          reused.incrementAndGet();
        } else {
          j.stopping();
          retire = true;
        }
      }
    }
    AttachSession s = j.session();
    if (s != null) {
      s.release(process);
    }
    if (retire) {
      stopJvm(j);
      pump();
    }
  }

  // ---------------------------------------------------------------- JVM lifecycle

  /** A new JVM to fork (under the lock). */
  private WorkerJvm enqueue() {
    WorkerJvm j = new WorkerJvm("w" + ids.incrementAndGet());
    jvms.put(j.id, j);
    return j;
  }

  private void tick() {
    try {
      expireWaits();
      reap();
      pump();
    } catch (RuntimeException e) {
      LOG.error("{}: worker pool housekeeping failed", label(), e);
    }
  }

  /** Keeps the minimum of JVMs, and forks queued ones while start slots are free. */
  private void pump() {
    List<WorkerJvm> toFork = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      int live = 0;
      int starting = 0;
      for (WorkerJvm j : jvms.values()) {
        live += j.isLive() ? 1 : 0;
        starting += j.state() == WorkerJvm.State.STARTING ? 1 : 0;
      }
      while (live < settings.minSpares() && jvms.size() < settings.maxWorkers()) {
        enqueue();
        live++;
      }
      if (System.nanoTime() < noForkBeforeNanos) {
        return; // backing off after failed starts
      }
      for (WorkerJvm j : jvms.values()) {
        if (starting >= settings.maxConcurrentStarts()) {
          break;
        }
        if (j.state() == WorkerJvm.State.QUEUED) {
          j.starting();
          toFork.add(j);
          starting++;
        }
      }
    }
    for (WorkerJvm j : toFork) {
      fork(j);
    }
  }

  private void fork(WorkerJvm j) {
    Process p;
    try {
      p = forker.fork(j.id);
    } catch (IOException | RuntimeException e) {
      startFailed(j, "could not fork: " + e.getMessage());
      return;
    }
    forked.incrementAndGet();
    boolean stopNow;
    synchronized (this) {
      j.forked(p);
      stopNow = !j.isLive();
    }
    p.onExit().thenAccept(dead -> onJvmExit(j, dead.exitValue()));
    if (stopNow) {
      stopJvm(j);
    }
  }

  /**
   * A JVM did not come up: fork another after a back-off that grows with each failure in a row, and
   * move the spawns that waited for it there (or to a running JVM with room), so none is lost.
   */
  private void startFailed(WorkerJvm j, String cause) {
    List<Runnable> handNow = new ArrayList<>();
    int moved;
    Duration backoff;
    synchronized (this) {
      jvms.remove(j.id);
      j.stopping();
      failedStarts.incrementAndGet();
      startFailuresInARow++;
      backoff = backoff(startFailuresInARow);
      noForkBeforeNanos = System.nanoTime() + backoff.toNanos();
      List<WorkerJvm.Pending> waiting = j.takePending();
      moved = waiting.size();
      WorkerJvm replacement = null;
      for (WorkerJvm.Pending p : waiting) {
        WorkerJvm to = j.dedicated() ? null : placement.forShared(jvms.values());
        if (to == null) {
          if (replacement == null) {
            replacement = enqueue();
            if (j.dedicated()) {
              replacement.dedicate();
            }
          }
          to = replacement;
        }
        placedOn.put(p.process(), to);
        if (to.state() == WorkerJvm.State.RUNNING) {
          to.host(p.process());
          AttachSession s = to.session();
          handNow.add(() -> hand(s, p.process(), p.entry(), p.args()));
        } else {
          to.await(p);
        }
      }
    }
    LOG.warn("{}: worker JVM {} failed to start ({}); forking again in {} ms, {} spawns wait for it",
        label(), j.id, cause, backoff.toMillis(), moved);
    handNow.forEach(Runnable::run);
  }

  private Duration backoff(int failuresInARow) {
    long ms = settings.startRetryBackoff().toMillis() << Math.min(20, failuresInARow - 1);
    return Duration.ofMillis(Math.min(ms, PoolSettings.MAX_START_RETRY_BACKOFF.toMillis()));
  }

  /** Spawns that waited longer than the start timeout end with an error instead of waiting on. */
  private void expireWaits() {
    long now = System.nanoTime();
    long limit = settings.startTimeout().toNanos();
    List<LocalProcess> expired = new ArrayList<>();
    List<WorkerJvm> hung = new ArrayList<>();
    synchronized (this) {
      for (WorkerJvm j : jvms.values()) {
        if (j.state() == WorkerJvm.State.STARTING && j.process() != null && now - j.forkedAtNanos() > limit) {
          hung.add(j);
        }
        for (WorkerJvm.Pending p : j.expiredPending(now, limit)) {
          placedOn.remove(p.process());
          expired.add(p.process());
        }
      }
    }
    for (WorkerJvm j : hung) {
      LOG.warn("{}: expected worker {} to attach within {} ms, but it did not; killing it", label(), j.id,
          settings.startTimeout().toMillis());
      j.process().destroyForcibly(); // its exit counts as a failed start: retried with back-off
    }
    for (LocalProcess p : expired) {
      node.get().exit(p, Frames.error(ErrorKind.ERROR_KIND_CRASHED, "no worker JVM could start within "
          + settings.startTimeout().toMillis() + " ms (see the launcher's log)"));
    }
  }

  /**
   * The worker's stream broke. Its JVM's exit (which names the signal) ends its processes; if the
   * JVM does not exit within the crash report wait, they end with {@code why} and it is killed.
   */
  private void onStreamClosed(WorkerJvm j, String why) {
    synchronized (this) {
      if (!j.markStreamClosed()) {
        return; // called once per process it hosted: act once
      }
    }
    j.process().onExit()
        .orTimeout(settings.crashReportWait().toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((dead, t) -> {
          if (dead == null) {
            endHosted(j, "worker JVM " + j.id + " lost its stream: " + why);
            j.process().destroyForcibly();
          }
        });
  }

  private void onJvmExit(WorkerJvm j, int exitValue) {
    boolean startFailed;
    String cause = ExitCause.describe(exitValue);
    synchronized (this) {
      startFailed = j.state() == WorkerJvm.State.STARTING;
      if (!startFailed) {
        jvms.remove(j.id);
        if (j.state() != WorkerJvm.State.STOPPING) {
          crashed.incrementAndGet();
        }
      }
    }
    if (startFailed) {
      startFailed(j, cause);
      pump();
      return;
    }
    int n = endHosted(j, cause);
    if (n > 0) {
      LOG.info("{}: worker JVM {} (pid {}) hosting {} processes died: {}", label(), j.id,
          j.process().pid(), n, cause);
    }
    pump();
  }

  /** Ends every process {@code j} hosted with {@code cause}. @return how many */
  private int endHosted(WorkerJvm j, String cause) {
    List<LocalProcess> orphans;
    synchronized (this) {
      j.stopping();
      orphans = j.takeHosted();
      for (LocalProcess p : orphans) {
        placedOn.remove(p);
      }
    }
    ExitResult error = Frames.error(ErrorKind.ERROR_KIND_CRASHED, cause);
    for (LocalProcess p : orphans) {
      node.get().exit(p, error);
    }
    return orphans.size();
  }

  /** Stops a JVM that hosts nothing that should live on: SIGTERM, then SIGKILL after 2 s. */
  private void stopJvm(WorkerJvm j) {
    Process p = j.process();
    if (p == null) {
      synchronized (this) {
        if (j.state() == WorkerJvm.State.STOPPING && j.process() == null) {
          jvms.remove(j.id); // never forked, or its fork is in flight and will stop it
        }
      }
      return;
    }
    p.destroy();
    p.onExit().orTimeout(2, TimeUnit.SECONDS).exceptionally(t -> {
      p.destroyForcibly();
      return null;
    });
  }

  private void reap() {
    long cutoff = System.nanoTime() - settings.idleReap().toNanos();
    List<WorkerJvm> victims = new ArrayList<>();
    synchronized (this) {
      int live = 0;
      for (WorkerJvm j : jvms.values()) {
        live += j.isLive() ? 1 : 0;
      }
      for (WorkerJvm j : jvms.values()) {
        if (live <= settings.minSpares()) {
          break;
        }
        if (j.isIdle() && j.idleSinceNanos() < cutoff) {
          j.stopping();
          victims.add(j);
          live--;
        }
      }
    }
    for (WorkerJvm v : victims) {
      reaped.incrementAndGet();
      LOG.info("{}: reaped idle worker JVM {}", label(), v.id);
      stopJvm(v);
    }
  }

  /** PIDs of the live worker JVMs (for tests and status). */
  public synchronized List<Long> jvmPids() {
    return jvms.values().stream().filter(j -> j.process() != null).map(j -> j.process().pid()).toList();
  }

  private String label() {
    Node n = node.get();
    return n == null ? "launcher" : n.label();
  }

  /** Stops every worker JVM: SIGTERM, then SIGKILL after 2 s. */
  @Override
  public void close() {
    List<Process> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      for (WorkerJvm j : jvms.values()) {
        j.stopping();
        if (j.process() != null) {
          all.add(j.process());
        }
      }
    }
    timer.shutdownNow();
    for (Process p : all) {
      p.destroy();
    }
    for (Process p : all) {
      try {
        if (!p.waitFor(2, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }
}
