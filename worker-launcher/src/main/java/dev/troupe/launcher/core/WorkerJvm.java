package dev.troupe.launcher.core;

import dev.troupe.runtime.registry.NodeRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One worker JVM through its life: queued to start, starting (forked, not yet a member), running (it
 * joined the registry as a member of the pool's host: spawns go to it), draining (told to take no new
 * process, before it is stopped), stopping. The launcher does not
 * run its processes: it knows how many there are from the JVM's own reports and the spawns it placed
 * there since. Not thread-safe: the pool guards it.
 */
final class WorkerJvm {
  enum State {
    /** To be forked when a start slot is free and its back-off has passed. */
    QUEUED,
    /** Forked; not yet joined. */
    STARTING,
    /** Joined as a member: spawns are placed on it. */
    RUNNING,
    /**
     * To be stopped (idle above the minimum, or out of ids): told to take no new process, and stopped
     * once it has said so and runs nothing.
     */
    DRAINING,
    /** Being stopped (reaped, its isolated process done, or the pool closing). */
    STOPPING
  }

  final String id;
  final String nodeName;
  private final boolean dedicated;
  private State state = State.QUEUED;
  private Process process;
  private NodeRecord member;
  private long forkedAtNanos;
  private long idleSinceNanos = System.nanoTime();
  private boolean taken;
  private int reported;
  private long startedTotal;
  private int placedSinceReport;
  private boolean usedUp;
  /** Its heap was too full after collection to take new processes, at its last report. */
  private boolean heapFull;
  private long drainedAtNanos;
  private final List<CompletableFuture<NodeRecord>> waiters = new ArrayList<>();

  /**
   * @param dedicated for one process of an {@code isolation: jvm} entry
   */
  WorkerJvm(String id, String nodeName, boolean dedicated) {
    this.id = id;
    this.nodeName = nodeName;
    this.dedicated = dedicated;
  }

  State state() {
    return state;
  }

  /** Takes spawns (or will, once started): neither draining nor stopping. */
  boolean isLive() {
    return state != State.STOPPING && state != State.DRAINING;
  }

  boolean dedicated() {
    return dedicated;
  }

  /** Processes it runs, as it last said, plus the spawns placed on it since. */
  int load() {
    return reported + placedSinceReport;
  }

  int reported() {
    return reported;
  }

  /** Can take one more shared process: under the count, and its heap not too full (its last report). */
  boolean hasRoomFor(int maxProcesses) {
    return isLive() && !dedicated && !usedUp && !heapFull && load() < maxProcesses;
  }

  /** Its last report said whether its heap is too full after collection to take new processes. */
  void heapFull(boolean full) {
    heapFull = full;
  }

  boolean heapFull() {
    return heapFull;
  }

  /**
   * It has started nearly every process its range of ids allows: it takes no more, is replaced, and is
   * stopped once its processes ended.
   */
  boolean usedUp() {
    return usedUp;
  }

  /** Running, shared, hosting nothing: may be reaped. */
  boolean isIdle() {
    return state == State.RUNNING && !dedicated && load() == 0;
  }

  /** A dedicated JVM that is running and not yet given its one process. */
  boolean isFreeForIsolated() {
    return state == State.RUNNING && dedicated && !taken;
  }

  /** It refused a spawn for want of room: it counts full until its next report. */
  void refused(int maxProcesses) {
    placedSinceReport = Math.max(placedSinceReport, maxProcesses - reported);
  }

  /** Its one process was placed on it (dedicated). */
  void take() {
    taken = true;
  }

  /** A spawn goes to it: when it runs, at once; else when it has joined. */
  CompletableFuture<NodeRecord> place() {
    placedSinceReport++;
    if (state == State.RUNNING) {
      return CompletableFuture.completedFuture(member);
    }
    CompletableFuture<NodeRecord> f = new CompletableFuture<>();
    waiters.add(f);
    return f;
  }

  /** Taken for forking: it counts against the concurrent starts from now. */
  void starting() {
    state = State.STARTING;
    forkedAtNanos = System.nanoTime();
  }

  void forked(Process p) {
    process = p;
    forkedAtNanos = System.nanoTime();
  }

  Process process() {
    return process;
  }

  long forkedAtNanos() {
    return forkedAtNanos;
  }

  NodeRecord member() {
    return member;
  }

  /** It joined as {@code record}. @return the spawns that waited for it, to be told where it is */
  List<CompletableFuture<NodeRecord>> joined(NodeRecord record) {
    state = State.RUNNING;
    member = record;
    idleSinceNanos = System.nanoTime();
    return takeWaiters();
  }

  /** The spawns that waited for it, taken away (it failed to start: they go elsewhere). */
  List<CompletableFuture<NodeRecord>> takeWaiters() {
    List<CompletableFuture<NodeRecord>> out = List.copyOf(waiters);
    waiters.clear();
    return out;
  }

  int waiting() {
    return waiters.size();
  }

  /**
   * It said how many processes it runs and has started.
   *
   * @param idsLeftBelow it is used up when fewer ids than this are left in its range
   * @return whether it is done: a dedicated JVM whose one process started and ended, or a used-up JVM
   *     that runs nothing
   */
  boolean report(int processes, long started, long idsLeftBelow) {
    reported = processes;
    startedTotal = started;
    placedSinceReport = 0;
    if (load() > 0) {
      idleSinceNanos = System.nanoTime();
    }
    if (member != null && member.shard() != null
        && member.shard().endId() - member.shard().firstId() - started < idsLeftBelow) {
      usedUp = true;
    }
    boolean isolatedDone = dedicated && taken && startedTotal > 0 && processes == 0;
    return isolatedDone || (usedUp && processes == 0);
  }

  long idleSinceNanos() {
    return idleSinceNanos;
  }

  void draining() {
    state = State.DRAINING;
  }

  /** It has said it takes no new process: from then on, a report of no process means it may stop. */
  void drained(long atNanos) {
    drainedAtNanos = atNanos;
  }

  /** Draining, and a report asked for after it said it takes no new process says it runs none. */
  boolean readyToStop(long reportAskedAtNanos) {
    return state == State.DRAINING && drainedAtNanos != 0 && reportAskedAtNanos - drainedAtNanos > 0
        && load() == 0;
  }

  void stopping() {
    state = State.STOPPING;
  }

  @Override
  public String toString() {
    return id + "(" + state + (process == null ? "" : " pid " + process.pid()) + ", " + load()
        + " processes" + (dedicated ? ", isolated" : "") + ")";
  }
}
