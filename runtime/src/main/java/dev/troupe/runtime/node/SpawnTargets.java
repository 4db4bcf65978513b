package dev.troupe.runtime.node;

import dev.troupe.runtime.registry.Directory;
import dev.troupe.runtime.registry.NodeRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Placement at the spawner's node: which member of a shared host (a launcher's worker JVMs) a spawn
 * goes to, so that it travels straight there instead of through the launcher. Members are taken in
 * turn; one that refused a spawn for want of room is left out for a while (its launcher, which knows
 * every JVM's load, places the spawns meanwhile and forks more JVMs when they are all full).
 */
final class SpawnTargets {
  private final Directory directory;
  private final long refusalBackoffNanos;
  private final AtomicInteger turn = new AtomicInteger();
  private final Map<String, Long> fullUntil = new ConcurrentHashMap<>();

  SpawnTargets(Directory directory, Duration refusalBackoff) {
    this.directory = directory;
    this.refusalBackoffNanos = refusalBackoff.toNanos();
  }

  /** The member of {@code host} to spawn on next, other than {@code self}; null if none has room. */
  NodeRecord member(String host, String self) {
    List<NodeRecord> members = directory.members(host);
    int n = members.size();
    if (n == 0) {
      return null;
    }
    long now = System.nanoTime();
    int start = Math.floorMod(turn.getAndIncrement(), n);
    for (int i = 0; i < n; i++) {
      NodeRecord m = members.get((start + i) % n);
      if (m.name().equals(self)) {
        continue;
      }
      Long until = fullUntil.get(m.label());
      if (until == null) {
        return m;
      }
      if (now - until >= 0) {
        fullUntil.remove(m.label(), until);
        return m;
      }
    }
    return null;
  }

  /** {@code member} refused a spawn: it is full. */
  void refused(NodeRecord member) {
    fullUntil.put(member.label(), System.nanoTime() + refusalBackoffNanos);
  }
}
