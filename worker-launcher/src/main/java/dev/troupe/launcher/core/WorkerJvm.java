package dev.troupe.launcher.core;

import dev.troupe.proto.common.v1.Payload;
import dev.troupe.runtime.node.AttachSession;
import dev.troupe.runtime.node.LocalProcess;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One worker JVM through its life: queued to start, starting (forked, not yet attached), running,
 * stopping. It knows the processes it hosts and the spawns that wait for it to attach, and whether an
 * {@code isolation: jvm} process has it to itself. Not thread-safe: the pool guards it.
 */
final class WorkerJvm {
  enum State {
    /** To be forked when a start slot is free and its back-off has passed. */
    QUEUED,
    /** Forked; not yet attached. */
    STARTING,
    /** Attached: processes are handed to it at once. */
    RUNNING,
    /** Being stopped (reaped, retired after an isolated process's error, or the pool closing). */
    STOPPING
  }

  /** A spawn placed on this JVM before it attached: handed over when it does. */
  record Pending(LocalProcess process, String entry, List<Payload> args, long placedAtNanos) {}

  final String id;
  private State state = State.QUEUED;
  private Process process;
  private AttachSession session;
  private long forkedAtNanos;
  private long idleSinceNanos = System.nanoTime();
  private boolean dedicated;
  private boolean streamClosed;
  private final Set<LocalProcess> hosted = new LinkedHashSet<>();
  private final List<Pending> pending = new ArrayList<>();

  WorkerJvm(String id) {
    this.id = id;
  }

  State state() {
    return state;
  }

  boolean isLive() {
    return state != State.STOPPING;
  }

  /** Processes placed here: running in it, or waiting for it to attach. */
  int load() {
    return hosted.size() + pending.size();
  }

  boolean isEmpty() {
    return load() == 0;
  }

  /** Given to one {@code isolation: jvm} process: no other is placed here while it runs. */
  boolean dedicated() {
    return dedicated;
  }

  void dedicate() {
    dedicated = true;
  }

  /** After the isolated process's clean exit: the JVM serves any spawn again. */
  void share() {
    dedicated = false;
  }

  /** Can take one more shared process. */
  boolean hasRoomFor(int maxProcesses) {
    return isLive() && !dedicated && load() < maxProcesses;
  }

  /** Running, hosting nothing, not kept for an isolated process: free to be given away or reaped. */
  boolean isIdle() {
    return state == State.RUNNING && !dedicated && isEmpty();
  }

  /** Taken for forking: it counts against the concurrent starts from now. */
  void starting() {
    state = State.STARTING;
    forkedAtNanos = System.nanoTime();
  }

  /** Its OS process exists (the state may meanwhile have become STOPPING). */
  void forked(Process p) {
    process = p;
    forkedAtNanos = System.nanoTime();
  }

  /** @return true the first time only: its stream's end is handled once for all it hosted */
  boolean markStreamClosed() {
    boolean first = !streamClosed;
    streamClosed = true;
    return first;
  }

  Process process() {
    return process;
  }

  long forkedAtNanos() {
    return forkedAtNanos;
  }

  /** It said hello: from now on processes are handed to it at once. @return what waited for it */
  List<Pending> attached(AttachSession s) {
    state = State.RUNNING;
    session = s;
    List<Pending> out = List.copyOf(pending);
    pending.clear();
    for (Pending p : out) {
      hosted.add(p.process());
    }
    if (hosted.isEmpty()) {
      idleSinceNanos = System.nanoTime();
    }
    return out;
  }

  AttachSession session() {
    return session;
  }

  void stopping() {
    state = State.STOPPING;
  }

  void host(LocalProcess p) {
    hosted.add(p);
  }

  void await(Pending p) {
    pending.add(p);
  }

  /** @return whether {@code p} was placed here (and is no longer) */
  boolean remove(LocalProcess p) {
    boolean removed = hosted.remove(p) || pending.removeIf(x -> x.process() == p);
    if (removed && isEmpty()) {
      idleSinceNanos = System.nanoTime();
    }
    return removed;
  }

  long idleSinceNanos() {
    return idleSinceNanos;
  }

  /** Everything it hosted, taken away: the JVM is gone. */
  List<LocalProcess> takeHosted() {
    List<LocalProcess> out = new ArrayList<>(hosted);
    hosted.clear();
    return out;
  }

  /** Spawns that have waited longer than {@code limitNanos}, taken away. */
  List<Pending> expiredPending(long nowNanos, long limitNanos) {
    if (pending.isEmpty()) {
      return List.of();
    }
    List<Pending> out = new ArrayList<>();
    pending.removeIf(p -> {
      boolean old = nowNanos - p.placedAtNanos() > limitNanos;
      if (old) {
        out.add(p);
      }
      return old;
    });
    return out;
  }

  /** The spawns that waited for it, taken away: it failed to start, and they go elsewhere. */
  List<Pending> takePending() {
    List<Pending> out = List.copyOf(pending);
    pending.clear();
    return out;
  }

  int hostedCount() {
    return hosted.size();
  }

  @Override
  public String toString() {
    return id + "(" + state + (process == null ? "" : " pid " + process.pid()) + ", " + load()
        + " processes" + (dedicated ? ", isolated" : "") + ")";
  }
}
