package dev.troupe.launcher.core;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.runtime.node.LocalProcess;
import dev.troupe.runtime.node.ProcessHost;
import dev.troupe.runtime.registry.NodeRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * The launcher's front of a shared host: the launcher runs none of its processes. A spawn that reaches
 * it (no worker JVM had room for the spawner, or the entry is {@code isolation: jvm}) is placed on a
 * worker JVM by the pool, forking one if it must, and forwarded there; the JVM answers the spawner.
 */
public final class WorkerPoolHost implements ProcessHost {
  private final String name;
  private final Set<String> entries;
  private final Set<String> isolated;
  private final WorkerPool pool;

  /**
   * @param entries the entries its processes may run
   * @param isolated those of them that must not share a JVM
   */
  public WorkerPoolHost(String name, Set<String> entries, Set<String> isolated, WorkerPool pool) {
    this.name = name;
    this.entries = Set.copyOf(entries);
    this.isolated = Set.copyOf(isolated);
    this.pool = pool;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean acceptsAttach() {
    return false;
  }

  @Override
  public boolean isFront() {
    return true;
  }

  @Override
  public void checkSpawn(String entry) {
    checkEntry(entry);
    pool.checkCapacity(isolated.contains(entry));
  }

  private void checkEntry(String entry) {
    if (!entries.contains(entry)) {
      throw new TroupeException(ErrorCode.NOT_FOUND, "unknown entry '" + entry + "' on host " + name
          + "; known: " + new TreeSet<>(entries));
    }
  }

  @Override
  public CompletableFuture<NodeRecord> placeElsewhere(String entry, String fromNode, List<String> fullNodes) {
    try {
      checkEntry(entry);
    } catch (TroupeException e) {
      return CompletableFuture.failedFuture(e);
    }
    pool.full(fullNodes);
    return pool.place(isolated.contains(entry));
  }

  @Override
  public void start(LocalProcess process, String entry, List<Payload> args) {
    throw new IllegalStateException("the launcher runs no process of " + name + " itself: its worker JVMs do");
  }

  /** The pool's figures, and one line per worker JVM: its node, OS pid, state, processes and RSS. */
  @Override
  public Map<String, String> stats() {
    PoolStats s = pool.stats();
    Map<String, String> m = new LinkedHashMap<>();
    m.put("jvms", "" + s.jvms().size());
    m.put("processes", "" + s.processes());
    m.put("spares", "" + s.spares());
    m.put("busy", "" + s.busy());
    m.put("starting", "" + s.starting());
    m.put("waiting", "" + s.waiting());
    m.put("forked", "" + s.forked());
    m.put("reaped", "" + s.reaped());
    m.put("crashed", "" + s.crashed());
    m.put("retired", "" + s.retired());
    m.put("failed_starts", "" + s.failedStarts());
    for (PoolStats.Jvm j : s.jvms()) {
      m.put("jvm." + j.id(), "node=" + j.node() + " pid=" + j.pid() + " state=" + j.state() + " processes="
          + j.processes() + (j.isolated() ? " isolated" : "") + " rss_mb=" + ProcStatus.rssMb(j.pid()));
    }
    return m;
  }
}
