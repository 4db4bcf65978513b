package dev.troupe.runtime.node;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Whether this JVM's heap has room for more processes. A worker JVM places processes by count, but what
 * a process holds varies (a Lua process's state is 12-14 KB, a Java echo worker's 4-6 KB, a process with
 * data of its own more): without this, enough of them fill the heap below the count and the JVM dies of
 * OutOfMemoryError with all its processes. The sign is the heap still in use after the last collection
 * of each pool (what the JVM could not free), over the most it may grow to; above the limit the node
 * refuses new processes (RESOURCE_EXHAUSTED, which spawners take to another JVM) until a collection
 * frees room. Reading the pools costs a few microseconds: the answer is kept for {@link #RECHECK_NANOS}.
 */
public final class HeapGuard {
  /** Default limit: a heap 90 % full after collection takes no new process. */
  public static final int DEFAULT_LIMIT_PERCENT = 90;
  static final long RECHECK_NANOS = 100_000_000L;

  private final int limitPercent;
  private final LongSupplier usedAfterCollection;
  private final long max;
  private final LongSupplier clock;
  private volatile long checkedAt;
  private volatile long used;

  /** A guard of {@code max} bytes whose use after collection {@code usedAfterCollection} reads. */
  public HeapGuard(int limitPercent, LongSupplier usedAfterCollection, long max) {
    this(limitPercent, usedAfterCollection, max, System::nanoTime);
  }

  HeapGuard(int limitPercent, LongSupplier usedAfterCollection, long max, LongSupplier clock) {
    if (limitPercent < 1 || limitPercent > 100) {
      throw new IllegalArgumentException("the heap limit is a percentage from 1 to 100 (100: off); got " + limitPercent);
    }
    this.limitPercent = limitPercent;
    this.usedAfterCollection = usedAfterCollection;
    this.max = max;
    this.clock = clock;
    this.checkedAt = clock.getAsLong() - RECHECK_NANOS;
  }

  /** The guard of this JVM's heap; a limit of 100 never refuses. */
  public static HeapGuard ofThisJvm(int limitPercent) {
    List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP && p.isCollectionUsageThresholdSupported()).toList();
    return new HeapGuard(limitPercent, () -> {
      long sum = 0;
      for (MemoryPoolMXBean p : heap) {
        MemoryUsage u = p.getCollectionUsage();
        sum += u == null ? 0 : u.getUsed();
      }
      return sum;
    }, Runtime.getRuntime().maxMemory(), System::nanoTime);
  }

  /** Whether the heap in use after the last collection is above the limit. */
  public boolean full() {
    if (limitPercent >= 100) {
      return false;
    }
    long now = clock.getAsLong();
    if (now - checkedAt >= RECHECK_NANOS) {
      used = usedAfterCollection.getAsLong();
      checkedAt = now;
    }
    return used * 100 > max * limitPercent;
  }

  /** "heap 93 % full after the last collection (318 of 341 MB; limit 90 %)". */
  public String describe() {
    return String.format(java.util.Locale.ROOT, "heap %d %% full after the last collection (%d of %d MB; limit %d %%)",
        max == 0 ? 0 : used * 100 / max, used >> 20, max >> 20, limitPercent);
  }
}
