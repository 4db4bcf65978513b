package dev.troupe.launcher.core;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.registry.NodeRecord;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
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
 * The launcher's worker JVMs. Each is a node of its own, a member of the pool's host with a range of its
 * ids, that hosts many processes; spawners place most spawns on the members directly. The pool keeps
 * about one JVM per core warm ({@code minSpares}), forks another when a spawn that reached the launcher
 * finds every JVM full or asks for a JVM of its own ({@code isolation: jvm}), never more than
 * {@code maxWorkers} (beyond that a spawn is refused with RESOURCE_EXHAUSTED, never left to wait), and
 * reaps idle ones above the minimum (each told first to take no new process, see {@link #drainThenStop}).
 * A JVM that fails to start is forked again after a back-off, and the
 * spawns that waited for it go with it. When a JVM dies, the pool reports the cause (the signal, from
 * its exit status) to the directory, which tells every node: each monitor of each process it
 * hosted gets one EXIT naming it.
 */
public final class WorkerPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);
  private static final long TICK_MS = 100;
  /** Stack of a thread that waits for a worker JVM's exit: it runs only the pool's report of it. */
  private static final long WATCHER_STACK_BYTES = 256 * 1024;

  private final PoolSettings settings;
  private final WorkerForker forker;
  private final LoadProbe probe;
  private final Supplier<Node> node;
  private final Placement placement;
  private final Map<String, WorkerJvm> jvms = new LinkedHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong forked = new AtomicLong();
  private final AtomicLong reaped = new AtomicLong();
  private final AtomicLong crashed = new AtomicLong();
  private final AtomicLong retired = new AtomicLong();
  private final AtomicLong failedStarts = new AtomicLong();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "worker-pool");
    t.setDaemon(true);
    return t;
  });
  private final CompletableFuture<Void> firstSpare = new CompletableFuture<>();
  private int startFailuresInARow;
  private long noForkBeforeNanos;
  /** No spare is forked to keep the minimum before this (a JVM just died: see crashReplaceDelay). */
  private long noSpareBeforeNanos;
  private long nextPollNanos;
  private boolean closed;

  /**
   * @param node the launcher's node (read late: it is built after the pool); its name prefixes the
   *     worker JVMs' node names ("launcher.w1")
   */
  public WorkerPool(PoolSettings settings, WorkerForker forker, LoadProbe probe, Supplier<Node> node) {
    this.settings = settings;
    this.forker = forker;
    this.probe = probe;
    this.node = node;
    this.placement = new Placement(settings.maxProcessesPerJvm());
  }

  /** Forks the first JVMs and starts the pool's clock (forks, start timeouts, polls, reaping). */
  public void start() {
    pump();
    timer.scheduleAtFixedRate(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
  }

  /** Completes when the first worker JVM has joined: from then on a spawn is served at once. */
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
      waiting += j.waiting();
      processes += j.reported();
      each.add(new PoolStats.Jvm(j.id, j.nodeName, j.process() == null ? 0 : j.process().pid(),
          j.state().name(), j.reported(), j.dedicated()));
    }
    return new PoolStats(spares, busy, starting, waiting, processes, forked.get(), reaped.get(),
        crashed.get(), retired.get(), failedStarts.get(), List.copyOf(each));
  }

  // ---------------------------------------------------------------- placing

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
            + " processes each, a heap too full after collection, or given to isolation: jvm entries); retry"
            + " later or raise --max-processes-per-jvm, --worker-heap-mb or --max-workers";
  }

  /** These JVMs (node names) refused a spawn for want of room: they count full until they report again. */
  public synchronized void full(java.util.Collection<String> nodeNames) {
    for (String n : nodeNames) {
      WorkerJvm j = byNodeName(n);
      if (j != null) {
        j.refused(settings.maxProcessesPerJvm());
      }
    }
  }

  /**
   * The worker JVM a spawn goes to: a running one with room at once; else one that is starting, or a
   * new one, as soon as it has joined (failing after the start timeout). Never waits when every JVM
   * is full and no more may be forked: RESOURCE_EXHAUSTED.
   */
  public CompletableFuture<NodeRecord> place(boolean isolated) {
    CompletableFuture<NodeRecord> where;
    synchronized (this) {
      if (closed) {
        return CompletableFuture.failedFuture(new TroupeException(ErrorCode.UNAVAILABLE,
            "the launcher is shutting down"));
      }
      WorkerJvm target = isolated ? placement.forIsolated(jvms.values()) : placement.forShared(jvms.values());
      if (target == null && jvms.size() < settings.maxWorkers()) {
        target = enqueue(isolated);
      }
      if (target == null) {
        return CompletableFuture.failedFuture(new TroupeException(ErrorCode.RESOURCE_EXHAUSTED, noRoom(isolated)));
      }
      if (isolated) {
        target.take();
      }
      where = target.place();
    }
    if (!where.isDone()) {
      pump();
    }
    return where.orTimeout(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .exceptionallyCompose(t -> CompletableFuture.failedFuture(
            t instanceof java.util.concurrent.TimeoutException
                ? new TroupeException(ErrorCode.UNAVAILABLE, "no worker JVM could start within "
                    + settings.startTimeout().toMillis() + " ms (see the launcher's log)")
                : t));
  }

  /** A node joined the directory: if it is one of this pool's JVMs, it now takes spawns. */
  public void onMemberUp(NodeRecord record) {
    List<CompletableFuture<NodeRecord>> waited;
    WorkerJvm j;
    synchronized (this) {
      j = byNodeName(record.name());
      if (j == null || j.state() != WorkerJvm.State.STARTING) {
        return;
      }
      waited = j.joined(record);
      startFailuresInARow = 0;
      noForkBeforeNanos = 0;
    }
    firstSpare.complete(null);
    LOG.debug("{}: worker {} joined as {} in {} ms; {} spawns waited for it", label(), j.id, record.label(),
        (System.nanoTime() - j.forkedAtNanos()) / 1_000_000, waited.size());
    waited.forEach(f -> f.complete(record));
    pump();
  }

  private WorkerJvm byNodeName(String name) {
    for (WorkerJvm j : jvms.values()) {
      if (j.nodeName.equals(name)) {
        return j;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- JVM lifecycle

  /** A new JVM to fork (under the lock). */
  private WorkerJvm enqueue(boolean dedicated) {
    String id = "w" + ids.incrementAndGet();
    Node n = node.get();
    WorkerJvm j = new WorkerJvm(id, (n == null ? "launcher" : n.config().name()) + "." + id, dedicated);
    jvms.put(j.id, j);
    return j;
  }

  private void tick() {
    try {
      expireStarts();
      poll();
      reap();
      pump();
    } catch (RuntimeException e) {
      LOG.error("{}: worker pool housekeeping failed", label(), e);
    }
  }

  /** Keeps the minimum of shared JVMs, and forks queued ones while start slots are free. */
  private void pump() {
    List<WorkerJvm> toFork = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      int shared = 0;
      int starting = 0;
      for (WorkerJvm j : jvms.values()) {
        shared += j.isLive() && !j.dedicated() && !j.usedUp() ? 1 : 0;
        starting += j.state() == WorkerJvm.State.STARTING ? 1 : 0;
      }
      while (shared < settings.minSpares() && jvms.size() < settings.maxWorkers()
          && System.nanoTime() >= noSpareBeforeNanos) {
        enqueue(false);
        shared++;
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
      p = forker.fork(j.nodeName, j.dedicated());
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
    watchExit(j, p);
    if (stopNow) {
      stopJvm(j);
    }
  }

  /**
   * Calls {@link #onJvmExit} as soon as the JDK's reaper thread has the JVM's exit status. Not through
   * {@link Process#onExit()}: that completes on the common pool, whose idle threads end after a minute,
   * so a death was reported 0.8-6.5 ms after the JVM was reaped (a thread started anew); a thread
   * waiting in {@link Process#waitFor()} is woken by the reaper itself. A platform thread, since JDK 21
   * pins a virtual one's carrier in that wait; one per live worker JVM, with a small stack.
   */
  private void watchExit(WorkerJvm j, Process p) {
    Thread.ofPlatform().daemon().name("worker-exit-" + j.id).stackSize(WATCHER_STACK_BYTES).start(() -> {
      while (true) {
        try {
          onJvmExit(j, p.waitFor());
          return;
        } catch (InterruptedException e) {
          // never interrupted by us: keep waiting, a dead JVM must always be reported
        } catch (RuntimeException e) {
          LOG.error("{}: could not handle the exit of worker JVM {}", label(), j.id, e);
          return;
        }
      }
    });
  }

  /**
   * A JVM did not come up: fork another after a back-off that grows with each failure in a row, and
   * move the spawns that waited for it there (or to a running JVM with room), so none is lost.
   */
  private void startFailed(WorkerJvm j, String cause) {
    List<CompletableFuture<NodeRecord>> waiting;
    WorkerJvm replacement = null;
    Duration backoff;
    synchronized (this) {
      jvms.remove(j.id);
      j.stopping();
      failedStarts.incrementAndGet();
      startFailuresInARow++;
      backoff = backoff(startFailuresInARow);
      noForkBeforeNanos = System.nanoTime() + backoff.toNanos();
      waiting = j.takeWaiters();
      if (!waiting.isEmpty() && !closed) {
        replacement = j.dedicated() ? null : placement.forShared(jvms.values());
        if (replacement == null) {
          replacement = enqueue(j.dedicated());
          if (j.dedicated()) {
            replacement.take();
          }
        }
      }
    }
    LOG.warn("{}: worker JVM {} failed to start ({}); forking again in {} ms, {} spawns wait for it",
        label(), j.id, cause, backoff.toMillis(), waiting.size());
    for (CompletableFuture<NodeRecord> w : waiting) {
      if (replacement == null) {
        w.completeExceptionally(new TroupeException(ErrorCode.UNAVAILABLE, "the launcher is shutting down"));
        continue;
      }
      CompletableFuture<NodeRecord> next;
      synchronized (this) {
        next = replacement.place();
      }
      next.whenComplete((r, t) -> {
        if (t != null) {
          w.completeExceptionally(t);
        } else {
          w.complete(r);
        }
      });
    }
  }

  private Duration backoff(int failuresInARow) {
    long ms = settings.startRetryBackoff().toMillis() << Math.min(20, failuresInARow - 1);
    return Duration.ofMillis(Math.min(ms, PoolSettings.MAX_START_RETRY_BACKOFF.toMillis()));
  }

  /** A JVM that has not joined within the start timeout is killed: its exit counts as a failed start. */
  private void expireStarts() {
    long now = System.nanoTime();
    List<WorkerJvm> hung = new ArrayList<>();
    synchronized (this) {
      for (WorkerJvm j : jvms.values()) {
        if (j.state() == WorkerJvm.State.STARTING && j.process() != null
            && now - j.forkedAtNanos() > settings.startTimeout().toNanos()) {
          hung.add(j);
        }
      }
    }
    for (WorkerJvm j : hung) {
      LOG.warn("{}: expected worker {} to join within {} ms, but it did not; killing it", label(), j.id,
          settings.startTimeout().toMillis());
      j.process().destroyForcibly();
    }
  }

  /** Asks each running JVM how many processes it runs; a dedicated one whose process ended is stopped. */
  private void poll() {
    long now = System.nanoTime();
    if (now - nextPollNanos < 0) {
      return;
    }
    nextPollNanos = now + settings.loadPollInterval().toNanos();
    List<WorkerJvm> polled = new ArrayList<>();
    synchronized (this) {
      for (WorkerJvm j : jvms.values()) {
        if (j.state() == WorkerJvm.State.RUNNING || j.state() == WorkerJvm.State.DRAINING) {
          polled.add(j);
        }
      }
    }
    for (WorkerJvm j : polled) {
      long asked = System.nanoTime();
      probe.load(j.member()).whenComplete((load, t) -> {
        if (t != null) {
          return; // it may be dying: its exit is handled by onJvmExit
        }
        boolean stop = false;
        boolean drain = false;
        synchronized (this) {
          j.heapFull(load.heapFull());
          if (j.state() == WorkerJvm.State.DRAINING) {
            j.report(load.processes(), load.startedTotal(), 0);
            stop = j.readyToStop(asked);
          } else if (j.state() == WorkerJvm.State.RUNNING
              // A JVM that may soon run out of ids is replaced while it can still take a full load.
              && j.report(load.processes(), load.startedTotal(), 2L * settings.maxProcessesPerJvm())) {
            // Only its launcher places on a dedicated JVM: nobody else can have placed a spawn there.
            stop = j.dedicated();
            drain = !j.dedicated();
            retired.incrementAndGet();
            LOG.info("{}: worker JVM {} {}", label(), j.id, j.dedicated() ? "ran its isolated process; stopping it"
                : "used up its range of ids and runs nothing; draining it, then stopping it");
          }
          if (stop) {
            j.stopping();
          } else if (drain) {
            j.draining();
          }
        }
        if (stop) {
          stopJvm(j);
        } else if (drain) {
          drainThenStop(j);
        }
      });
    }
  }

  /**
   * Tells a JVM the pool will stop to take no new process, since spawners place processes on worker JVMs
   * directly and one may be on its way there: refused, it is placed elsewhere rather than lost with the
   * JVM. The poll stops the JVM once it has said so and then reports no process ({@link
   * WorkerJvm#readyToStop}); one that cannot be told is stopped at once.
   */
  private void drainThenStop(WorkerJvm j) {
    probe.drain(j.member()).whenComplete((ok, t) -> {
      synchronized (this) {
        if (j.state() != WorkerJvm.State.DRAINING) {
          return;
        }
        if (t == null) {
          j.drained(System.nanoTime());
          return;
        }
        j.stopping();
      }
      stopJvm(j);
    });
  }

  private void onJvmExit(WorkerJvm j, int exitValue) {
    boolean startFailed;
    boolean unexpected;
    String cause = ExitCause.describe(exitValue);
    synchronized (this) {
      startFailed = j.state() == WorkerJvm.State.STARTING;
      unexpected = j.state() != WorkerJvm.State.STOPPING;
      if (!startFailed) {
        jvms.remove(j.id);
        if (unexpected) {
          crashed.incrementAndGet();
        }
      }
    }
    NodeRecord member = j.member();
    if (member != null) {
      Node n = node.get();
      if (n != null) {
        // First, and at once: every node hears of it from the directory with this cause, and each
        // monitor of each process it hosted gets one EXIT that names it.
        // By name (incarnation 0): this launcher never gives a name twice, and the report must not
        // miss the live incarnation (system tests saw it ignored now and then; see the issue notes).
        n.directory().declareLost(n.self(), member.name(), 0, cause);
        if (unexpected && !startFailed) {
          // This node knows first hand: its own monitors fire now rather than after the report's round
          // trip through the registry (two hops of rarely run code, 6-10 ms; BENCHMARKS.md, "exit_kill").
          // The registry's word on it comes later and finds it done.
          n.nodeLost(member, cause);
        }
      }
      probe.forget(member);
    }
    if (startFailed) {
      startFailed(j, cause);
      pump();
      return;
    }
    if (unexpected) {
      LOG.info("{}: worker JVM {} (pid {}) hosting about {} processes died: {}", label(), j.id,
          j.process().pid(), j.reported(), cause);
      // Its spare is forked a moment later (by the first tick after the delay): a JVM start would take
      // the CPU that the report of the loss needs on its way to every monitor. A spawn that needs a JVM
      // meanwhile has one forked at once.
      synchronized (this) {
        noSpareBeforeNanos = System.nanoTime() + settings.crashReplaceDelay().toNanos();
      }
    }
    pump();
  }

  /** Stops a JVM: SIGTERM (it leaves the registry), then SIGKILL after 2 s. */
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
      int shared = 0;
      for (WorkerJvm j : jvms.values()) {
        shared += j.isLive() && !j.dedicated() ? 1 : 0;
      }
      for (WorkerJvm j : jvms.values()) {
        if (shared <= settings.minSpares()) {
          break;
        }
        if (j.isIdle() && j.idleSinceNanos() < cutoff) {
          j.draining();
          victims.add(j);
          shared--;
        }
      }
    }
    for (WorkerJvm v : victims) {
      reaped.incrementAndGet();
      LOG.info("{}: reaped idle worker JVM {}", label(), v.id);
      drainThenStop(v);
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
    List<CompletableFuture<NodeRecord>> waiting = new ArrayList<>();
    synchronized (this) {
      closed = true;
      for (WorkerJvm j : jvms.values()) {
        j.stopping();
        waiting.addAll(j.takeWaiters());
        if (j.process() != null) {
          all.add(j.process());
        }
      }
    }
    timer.shutdownNow();
    waiting.forEach(w -> w.completeExceptionally(new TroupeException(ErrorCode.UNAVAILABLE,
        "the launcher is shutting down")));
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
