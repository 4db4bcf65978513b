package dev.troupe.runtime.registry;

import dev.troupe.api.Pid;

/**
 * A member's part of a host that many nodes serve (a launcher's worker JVMs all serve
 * {@code app:processes}): the ids {@code [firstId, endId)} of that host are the member's for its whole
 * life. So a PID keeps the original's form {@code {app:processes|0x00004}} and still names exactly one
 * node, and ids are never reused: the registry hands out ranges above every id the host has used.
 *
 * @param host the shared host
 * @param firstId the first id of the range; 0 in an announce that asks the registry to assign one
 * @param endId the end of the range (exclusive)
 * @param owner the node that forked the member (its launcher), which reports its death with the cause
 * @param dedicated the member runs one process of an {@code isolation: jvm} entry: spawners never
 *     place other processes on it
 */
public record Shard(String host, long firstId, long endId, String owner, boolean dedicated) {
  /** Ids per range: a worker JVM can start 4 billion processes in its life. */
  public static final long SPAN = 1L << 32;

  public Shard {
    if (host == null || host.isEmpty() || owner == null) {
      throw new IllegalArgumentException("a shard needs a host and an owner");
    }
    if (firstId < 0 || (firstId > 0 && endId <= firstId)) {
      throw new IllegalArgumentException("bad shard range [" + firstId + ", " + endId + ")");
    }
  }

  /**
   * The first id of the range a registry assigns when {@code mark} is the next id the host may use:
   * the first whole span no used id falls in (the span of id 0 starts at 1).
   */
  public static long firstAbove(long mark) {
    if (mark <= 1) {
      return 1;
    }
    return ((mark - 1) / SPAN + 1) * SPAN;
  }

  /** The end of the range that starts at {@code firstId}: the next multiple of the span. */
  public static long endOf(long firstId) {
    return (firstId / SPAN + 1) * SPAN;
  }

  /** This shard with the range starting at {@code first}. */
  public Shard assigned(long first) {
    return new Shard(host, first, endOf(first), owner, dedicated);
  }

  public boolean assigned() {
    return firstId > 0;
  }

  public boolean contains(Pid pid) {
    return pid.host().equals(host) && pid.id() >= firstId && pid.id() < endId;
  }

  public boolean overlaps(Shard other) {
    return host.equals(other.host) && firstId < other.endId && other.firstId < endId;
  }
}
