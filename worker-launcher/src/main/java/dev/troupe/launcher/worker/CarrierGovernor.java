package dev.troupe.launcher.worker;

import java.lang.management.ManagementFactory;
import java.lang.management.PlatformManagedObject;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sizes a worker JVM's virtual-thread carriers: one per core while they keep up, one more each time a
 * runnable process has waited {@link Settings#stall} for a carrier, up to a ceiling. Virtual threads
 * are not preempted, so a process looping without blocking holds its carrier; with carriers fixed at
 * the number of cores two such processes would stall every other process of the JVM, and with carriers
 * fixed at the ceiling (the old way) the idle ones are woken and parked again for every message, which
 * cost the tutorial's workers 13 % more CPU per echo and 45 % more context switches (BENCHMARKS.md,
 * "Carriers and huge pages"). Go's runtime does the same in spirit: its monitor thread hands a stuck thread's work to
 * a new one.
 *
 * <p>Stalls are seen with a probe: every {@link Settings#tick} a tiny virtual thread is started; one
 * still waiting for a carrier after {@code stall} means every carrier is busy. Busy is not held: on a
 * machine short of CPU (the tutorial's load on two cores) the probe waits behind hundreds of runnable
 * processes while the carriers keep finishing them, and a carrier more only adds threads to wake
 * (measured: 2 carriers grew to 6 per worker JVM under the tutorial's load). So a carrier is added only
 * when, besides the stall, no process has ended on this JVM for {@code stall} either (the
 * {@code progress} count did not move). Carriers added are taken
 * back one at a time once probes run promptly and at least two carriers are idle for
 * {@link Settings#calm}, so a JVM whose spinning processes hold some carriers keeps them.
 *
 * <p>Needs {@code jdk.management.VirtualThreadSchedulerMXBean} (JDK 24+); on older JDKs the worker
 * runs with the ceiling from the start ({@link #available}).
 */
final class CarrierGovernor {
  private static final Logger LOG = LoggerFactory.getLogger(CarrierGovernor.class);

  /**
   * @param tick how often the probe is looked at (default {@link #DEFAULT_TICK})
   * @param stall how long a runnable process may wait for a carrier before one is added (default
   *     {@link #DEFAULT_STALL}: well above the queueing of a JVM saturated by short tasks, far below
   *     what a user would notice as a hang)
   * @param calm how long probes must run promptly, with two carriers idle, before one is taken back
   *     (default {@link #DEFAULT_CALM})
   */
  record Settings(int base, int ceiling, Duration tick, Duration stall, Duration calm) {
    static Settings defaults(int base, int ceiling) {
      return new Settings(base, ceiling, DEFAULT_TICK, DEFAULT_STALL, DEFAULT_CALM);
    }
  }

  static final Duration DEFAULT_TICK = Duration.ofMillis(20);
  static final Duration DEFAULT_STALL = Duration.ofMillis(200);
  static final Duration DEFAULT_CALM = Duration.ofSeconds(5);
  /** Tries at making the JDK's pool start the carrier it was just allowed (see {@link #available}). */
  private static final int MAX_NUDGES = 8;
  private static final long NEVER = Long.MIN_VALUE;

  /** The scheduler's knobs, as {@code VirtualThreadSchedulerMXBean} offers them. */
  interface Scheduler {
    int parallelism();

    void setParallelism(int carriers);

    /** Carriers running a virtual thread now (approximate). */
    int mounted();
  }

  private final Settings settings;
  private final Scheduler scheduler;
  private final Consumer<Runnable> startProbe;
  private final LongSupplier progress;
  private final String label;
  private AtomicBoolean probe; // the probe started last; true once it has run
  private long probeStartedAt;
  // nanoTime has an arbitrary origin (it may be negative): "not yet" is NEVER, not 0 or -1
  private long lastChangeAt = NEVER;
  private long calmSince = NEVER;
  private long lastProgress;
  private long progressSeenAt = NEVER;

  /**
   * @param startProbe starts a runnable on a new virtual thread (tests pass a fake that runs it or not)
   * @param progress a count that grows while carriers get work done (the processes ended on this JVM)
   */
  CarrierGovernor(Settings settings, Scheduler scheduler, Consumer<Runnable> startProbe, LongSupplier progress,
      String label) {
    if (settings.base() < 1 || settings.ceiling() < settings.base()) {
      throw new IllegalArgumentException("carriers: need 1 <= base <= ceiling, got base " + settings.base()
          + " and ceiling " + settings.ceiling());
    }
    this.settings = settings;
    this.scheduler = scheduler;
    this.startProbe = startProbe;
    this.progress = progress;
    this.label = label;
  }

  /** One look at the probe, at {@code now} (nanoTime); returns the carriers after it. */
  int tick(long now) {
    int carriers = scheduler.parallelism();
    long done = progress.getAsLong();
    if (done != lastProgress || progressSeenAt == NEVER) {
      lastProgress = done;
      progressSeenAt = now;
    }
    if (probe != null && !probe.get()) {
      calmSince = NEVER;
      long waited = now - probeStartedAt;
      long stall = settings.stall().toNanos();
      if (waited >= stall && now - progressSeenAt >= stall
          && (lastChangeAt == NEVER || now - lastChangeAt >= stall)
          && carriers < settings.ceiling()) {
        carriers++;
        scheduler.setParallelism(carriers);
        lastChangeAt = now;
        if (carriers == settings.ceiling()) {
          LOG.warn("{}: runnable processes waited {} ms for a carrier; carriers now {}, the most allowed"
              + " (--worker-carrier-threads): processes looping without blocking hold them all and the"
              + " others of this JVM stall until one blocks or ends", label, waited / 1_000_000, carriers);
        } else {
          LOG.info("{}: runnable processes waited {} ms for a carrier (a process looping without blocking"
              + " holds one); carriers {} -> {} of at most {}", label, waited / 1_000_000, carriers - 1,
              carriers, settings.ceiling());
        }
      }
      return carriers;
    }
    if (carriers > settings.base() && scheduler.mounted() <= carriers - 2) {
      if (calmSince == NEVER) {
        calmSince = now;
      } else if (now - calmSince >= settings.calm().toNanos()) {
        carriers--;
        scheduler.setParallelism(carriers);
        lastChangeAt = now;
        calmSince = now;
        LOG.info("{}: carriers {} -> {}: the JVM kept up with fewer", label, carriers + 1, carriers);
      }
    } else {
      calmSince = NEVER;
    }
    AtomicBoolean next = new AtomicBoolean();
    probe = next;
    probeStartedAt = now;
    startProbe.accept(() -> next.set(true));
    return carriers;
  }

  /** Runs {@link #tick} every {@code settings.tick()} on a daemon platform thread of its own. */
  Thread start() {
    Thread t = Thread.ofPlatform().daemon().name("carrier-governor").start(() -> {
      try {
        while (true) {
          tick(System.nanoTime());
          Thread.sleep(settings.tick());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    return t;
  }

  /**
   * The JDK's virtual-thread scheduler, through {@code jdk.management.VirtualThreadSchedulerMXBean}
   * (JDK 24+; looked up by name, as Troupe compiles for 21); empty on older JDKs.
   */
  static Optional<Scheduler> available() {
    try {
      Class<?> type = Class.forName("jdk.management.VirtualThreadSchedulerMXBean");
      @SuppressWarnings("unchecked")
      Object bean = ManagementFactory.getPlatformMXBean((Class<? extends PlatformManagedObject>) type);
      Method get = type.getMethod("getParallelism");
      Method set = type.getMethod("setParallelism", int.class);
      Method mounted = type.getMethod("getMountedVirtualThreadCount");
      Method poolSize = type.getMethod("getPoolSize");
      return Optional.of(new Scheduler() {
        @Override
        public int parallelism() {
          return (int) invoke(get);
        }

        @Override
        public void setParallelism(int carriers) {
          invoke(set, carriers);
          // JDK 25's ForkJoinPool starts a worker only when a submission finds its queue empty, and the
          // MXBean's own nudge lands on the queue that already holds the waiting processes: measured,
          // parallelism 3 -> 6 under three spinners added no carrier. A task submitted from a new
          // thread goes to a queue picked by that thread's random probe, usually an empty one.
          for (int i = 0; i < MAX_NUDGES && (int) invoke(poolSize) < carriers; i++) {
            try {
              Thread.ofPlatform().daemon().start(() -> Thread.startVirtualThread(() -> {})).join();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        }

        @Override
        public int mounted() {
          return (int) invoke(mounted);
        }

        private Object invoke(Method m, Object... args) {
          try {
            return m.invoke(bean, args);
          } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("VirtualThreadSchedulerMXBean." + m.getName() + " failed", e);
          }
        }
      });
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
