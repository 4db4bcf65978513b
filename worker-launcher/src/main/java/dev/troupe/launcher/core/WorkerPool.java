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
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The launcher's worker JVMs: pre-forked spares that a spawn takes at once, replaced in the
 * background; more forked on demand (at most {@code maxConcurrentStarts} at a time); idle ones reaped.
 * A JVM runs another process after a clean exit when reuse is on, and is never reused after an error.
 * The pool learns first when a JVM dies ({@link Process#onExit()}, its stream closing) and turns that
 * into the process's exit, with the signal that killed it.
 */
public final class WorkerPool implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);

  private enum State { STARTING, IDLE, BUSY, RETIRING }

  private final class Worker {
    final String id;
    final Process process;
    final long forkedAtNanos = System.nanoTime();
    State state = State.STARTING;
    AttachSession session;
    LocalProcess running;
    int runs;
    long idleSinceNanos;

    Worker(String id, Process process) {
      this.id = id;
      this.process = process;
    }
  }

  private record Waiting(LocalProcess process, String entry, List<Payload> args) {}

  private final PoolSettings settings;
  private final WorkerForker forker;
  private final Supplier<Node> node;
  private final Map<String, Worker> workers = new LinkedHashMap<>();
  private final Deque<Worker> idle = new ArrayDeque<>();
  private final Deque<Waiting> waiting = new ArrayDeque<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicLong forked = new AtomicLong();
  private final AtomicLong reaped = new AtomicLong();
  private final AtomicLong crashed = new AtomicLong();
  private final AtomicLong reused = new AtomicLong();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "worker-pool");
    t.setDaemon(true);
    return t;
  });
  private final java.util.concurrent.CompletableFuture<Void> firstSpare = new java.util.concurrent.CompletableFuture<>();
  private int starting;
  private boolean closed;

  public WorkerPool(PoolSettings settings, WorkerForker forker, Supplier<Node> node) {
    this.settings = settings;
    this.forker = forker;
    this.node = node;
  }

  /** Forks the first spares and starts the reaper. */
  public void start() {
    topUp();
    long period = Math.max(100, Math.min(1000, settings.idleReap().toMillis() / 2));
    timer.scheduleAtFixedRate(this::reap, period, period, TimeUnit.MILLISECONDS);
  }

  /** Completes when the first worker JVM has attached: from then on a spawn is served at once. */
  public java.util.concurrent.CompletableFuture<Void> firstSpare() {
    return firstSpare;
  }

  public synchronized PoolStats stats() {
    int busy = 0;
    for (Worker w : workers.values()) {
      if (w.state == State.BUSY) {
        busy++;
      }
    }
    return new PoolStats(idle.size(), busy, starting, waiting.size(), forked.get(), reaped.get(),
        crashed.get(), reused.get());
  }

  // ---------------------------------------------------------------- spawning

  /** Refuses a spawn the pool could never serve. */
  public synchronized void checkCapacity() {
    if (closed) {
      throw new TroupeException(ErrorCode.UNAVAILABLE, "the launcher is shutting down");
    }
    int live = workers.size();
    int free = idle.size() + starting - waiting.size();
    if (free <= 0 && live >= settings.maxWorkers()) {
      throw new TroupeException(ErrorCode.RESOURCE_EXHAUSTED, "all " + settings.maxWorkers()
          + " worker JVMs are busy (max workers); retry later or raise --max-workers");
    }
  }

  /** Runs {@code process} in a spare JVM, or as soon as one is ready. Never waits for a fork. */
  public void run(LocalProcess process, String entry, List<Payload> args) {
    Worker w;
    synchronized (this) {
      w = idle.poll();
      if (w == null) {
        waiting.add(new Waiting(process, entry, args));
      } else {
        w.state = State.BUSY;
        w.running = process;
        w.runs++;
      }
    }
    if (w != null) {
      hand(w, process, entry, args);
    }
    topUp();
  }

  private void hand(Worker w, LocalProcess process, String entry, List<Payload> args) {
    w.session.assign(process, entry, args);
    ((BufferingSink) process.sink()).connect(w.session.sink());
  }

  /** A worker JVM attached and said hello: it becomes a spare, or takes a waiting process. */
  public void onHello(AttachSession session) {
    Worker w;
    Waiting job = null;
    synchronized (this) {
      w = workers.get(session.workerId());
      if (w == null || w.state != State.STARTING) {
        throw new IllegalStateException("unknown worker id " + session.workerId());
      }
      starting--;
      w.session = session;
      session.onCrash((p, why) -> onStreamClosed(w, p, why));
      job = waiting.poll();
      if (job != null) {
        w.state = State.BUSY;
        w.running = job.process();
        w.runs++;
      } else {
        w.state = State.IDLE;
        w.idleSinceNanos = System.nanoTime();
        idle.add(w);
      }
    }
    firstSpare.complete(null);
    LOG.debug("{}: worker {} ready in {} ms", label(), w.id,
        (System.nanoTime() - w.forkedAtNanos) / 1_000_000);
    if (job != null) {
      hand(w, job.process(), job.entry(), job.args());
    }
    topUp();
  }

  /** The process in a worker ended by itself or was ended by the node. */
  public void onProcessExit(LocalProcess process, ExitResult result) {
    Worker w = null;
    Waiting job = null;
    boolean retire = false;
    synchronized (this) {
      for (Worker x : workers.values()) {
        if (x.running == process) {
          w = x;
          break;
        }
      }
      if (w == null) {
        removeWaiting(process);
        return;
      }
      w.running = null;
      boolean clean = !result.hasError();
      if (clean && settings.reuse() && w.runs < settings.maxProcessesPerWorker() && !closed
          && w.state == State.BUSY) {
        reused.incrementAndGet();
        job = waiting.poll();
        if (job != null) {
          w.running = job.process();
          w.runs++;
        } else {
          w.state = State.IDLE;
          w.idleSinceNanos = System.nanoTime();
          idle.add(w);
        }
      } else if (w.state == State.BUSY) {
        retire = true;
        w.state = State.RETIRING;
      }
    }
    if (job != null) {
      hand(w, job.process(), job.entry(), job.args());
    }
    if (retire) {
      retireJvm(w);
      topUp();
    }
  }

  private synchronized void removeWaiting(LocalProcess process) {
    waiting.removeIf(j -> j.process() == process);
  }

  // ---------------------------------------------------------------- JVM lifecycle

  /** Forks JVMs until spares plus starting ones cover the minimum and what waits. */
  private void topUp() {
    int toFork;
    synchronized (this) {
      if (closed) {
        return;
      }
      int want = settings.minSpares() + waiting.size() - idle.size() - starting;
      int room = settings.maxWorkers() - workers.size();
      int startRoom = settings.maxConcurrentStarts() - starting;
      toFork = Math.max(0, Math.min(want, Math.min(room, startRoom)));
      starting += toFork;
    }
    for (int i = 0; i < toFork; i++) {
      fork();
    }
  }

  private void fork() {
    String id = "w" + ids.incrementAndGet();
    Process p;
    try {
      p = forker.fork(id);
    } catch (IOException | RuntimeException e) {
      LOG.error("{}: expected to fork worker {}, but: {}", label(), id, e.toString());
      Waiting job;
      synchronized (this) {
        starting--;
        job = waiting.poll();
      }
      if (job != null) {
        node.get().exit(job.process(), Frames.error(ErrorKind.ERROR_KIND_CRASHED,
            "could not start a worker JVM: " + e.getMessage()));
      }
      return;
    }
    forked.incrementAndGet();
    Worker w = new Worker(id, p);
    synchronized (this) {
      workers.put(id, w);
    }
    p.onExit().thenAccept(dead -> onJvmExit(w, dead.exitValue()));
    timer.schedule(() -> startTimedOut(w), settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  private void startTimedOut(Worker w) {
    synchronized (this) {
      if (w.state != State.STARTING) {
        return;
      }
    }
    LOG.warn("{}: expected worker {} to attach within {} ms, but it did not; killing it", label(),
        w.id, settings.startTimeout().toMillis());
    w.process.destroyForcibly();
  }

  /** The worker's stream broke under a live process: wait briefly for the JVM's status to name it. */
  private void onStreamClosed(Worker w, LocalProcess p, String why) {
    if (p == null || !p.alive()) {
      return;
    }
    w.process.onExit()
        .orTimeout(settings.crashReportWait().toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((dead, t) -> {
          String cause = dead != null ? ExitCause.describe(dead.exitValue()) : why;
          node.get().exit(p, Frames.error(ErrorKind.ERROR_KIND_CRASHED, cause));
        });
  }

  private void onJvmExit(Worker w, int exitValue) {
    LocalProcess orphan;
    Waiting job = null;
    boolean wasStarting;
    synchronized (this) {
      workers.remove(w.id);
      idle.remove(w);
      wasStarting = w.state == State.STARTING;
      if (wasStarting) {
        starting--;
      }
      orphan = w.running;
      w.running = null;
      if (w.state != State.RETIRING) {
        crashed.incrementAndGet();
      }
      if (wasStarting && waiting.size() > 0 && workers.isEmpty() && starting == 0) {
        job = waiting.poll(); // nothing else will come for it
      }
      w.state = State.RETIRING;
    }
    String cause = ExitCause.describe(exitValue);
    if (orphan != null && orphan.alive()) {
      LOG.info("{}: worker {} running {} died: {}", label(), w.id, orphan.pidText(), cause);
      node.get().exit(orphan, Frames.error(ErrorKind.ERROR_KIND_CRASHED, cause));
    } else if (wasStarting) {
      LOG.warn("{}: worker {} died before it attached: {}", label(), w.id, cause);
    }
    if (job != null) {
      node.get().exit(job.process(), Frames.error(ErrorKind.ERROR_KIND_CRASHED,
          "worker JVM failed to start: " + cause));
    }
    topUp();
  }

  private void retireJvm(Worker w) {
    w.process.destroy();
    w.process.onExit().orTimeout(2, TimeUnit.SECONDS)
        .exceptionally(t -> {
          w.process.destroyForcibly();
          return null;
        });
  }

  private void reap() {
    long cutoff = System.nanoTime() - settings.idleReap().toNanos();
    Worker victim;
    synchronized (this) {
      if (idle.size() <= settings.minSpares()) {
        return;
      }
      victim = idle.peekFirst();
      if (victim == null || victim.idleSinceNanos > cutoff) {
        return;
      }
      idle.pollFirst();
      victim.state = State.RETIRING;
    }
    reaped.incrementAndGet();
    LOG.info("{}: reaped idle worker {} ({})", label(), victim.id, stats());
    retireJvm(victim);
  }

  /** PIDs of the live worker JVMs (for tests and status). */
  public synchronized List<Long> jvmPids() {
    return workers.values().stream().map(w -> w.process.pid()).toList();
  }

  private String label() {
    Node n = node.get();
    return n == null ? "launcher" : n.label();
  }

  /** Stops every worker JVM: SIGTERM, then SIGKILL after 2 s. */
  @Override
  public void close() {
    List<Worker> all;
    synchronized (this) {
      closed = true;
      all = List.copyOf(workers.values());
      for (Worker w : all) {
        w.state = State.RETIRING;
      }
    }
    timer.shutdownNow();
    for (Worker w : all) {
      w.process.destroy();
    }
    for (Worker w : all) {
      try {
        if (!w.process.waitFor(2, TimeUnit.SECONDS)) {
          w.process.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        w.process.destroyForcibly();
      }
    }
  }
}
