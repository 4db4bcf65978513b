package dev.troupe.launcher.core;

import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.runtime.api.ErrorCode;
import dev.troupe.runtime.api.TroupeException;
import dev.troupe.runtime.node.LocalProcess;
import dev.troupe.runtime.node.ProcessHost;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** A host whose processes each run in a worker JVM of the pool. */
public final class WorkerPoolHost implements ProcessHost {
  private final String name;
  private final Set<String> entries;
  private final WorkerPool pool;

  public WorkerPoolHost(String name, Set<String> entries, WorkerPool pool) {
    this.name = name;
    this.entries = Set.copyOf(entries);
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
  public void checkSpawn(String entry) {
    if (!entries.contains(entry)) {
      throw new TroupeException(ErrorCode.NOT_FOUND, "unknown entry '" + entry + "' on host " + name
          + "; known: " + new TreeSet<>(entries));
    }
    pool.checkCapacity();
  }

  @Override
  public void start(LocalProcess process, String entry, List<Payload> args) {
    pool.run(process, entry, args);
  }

  @Override
  public java.util.Map<String, String> stats() {
    PoolStats s = pool.stats();
    return java.util.Map.of("spares", "" + s.spares(), "busy", "" + s.busy(), "starting", "" + s.starting(),
        "waiting", "" + s.waiting(), "forked", "" + s.forked(), "reaped", "" + s.reaped(),
        "crashed", "" + s.crashed(), "reused", "" + s.reused());
  }

  @Override
  public void onExit(LocalProcess process, ExitResult result) {
    pool.onProcessExit(process, result);
  }
}
