package dev.troupe.runtime.node;

import dev.troupe.proto.common.v1.ExitResult;

/** Hears of every spawned process's start and every exit on a node. Must not block. */
public interface ProcessObserver {
  void started(LocalProcess process);

  void exited(LocalProcess process, ExitResult result);
}
