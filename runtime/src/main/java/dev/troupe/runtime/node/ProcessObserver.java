package dev.troupe.runtime.node;

import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.common.v1.ProcessEvent;

/** Hears of every spawned process's start and every exit on a node. Must not block. */
public interface ProcessObserver {
  void started(LocalProcess process);

  void exited(LocalProcess process, ExitResult result);

  /** {@code process} was given {@code event} (EXIT of a process it monitors, LINK_DOWN, CANCEL). */
  default void eventGiven(LocalProcess process, ProcessEvent event) {}
}
