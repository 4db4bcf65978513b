package dev.troupe.launcher.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class CarrierGovernorTest {
  private static final long MS = 1_000_000L;

  /** The scheduler's knobs, as a test sets them. */
  private static final class FakeScheduler implements CarrierGovernor.Scheduler {
    int parallelism;
    int mounted;
    final List<Integer> changes = new ArrayList<>();

    FakeScheduler(int parallelism) {
      this.parallelism = parallelism;
    }

    @Override
    public int parallelism() {
      return parallelism;
    }

    @Override
    public void setParallelism(int carriers) {
      parallelism = carriers;
      changes.add(carriers);
    }

    @Override
    public int mounted() {
      return mounted;
    }
  }

  /** Probes that run at once (carriers free) or never (every carrier held). */
  private static Consumer<Runnable> probesRun(boolean run) {
    return r -> {
      if (run) {
        r.run();
      }
    };
  }

  /**
   * Lets {@code g} look every 20 ms from {@code origin} (nanoTime) for {@code untilMs}, running
   * {@code beforeTick} with the ms elapsed before each look; returns the ms at which the carriers changed.
   */
  private static List<Long> lookEvery20Ms(CarrierGovernor g, FakeScheduler s, long origin, long untilMs,
      LongConsumer beforeTick) {
    List<Long> changedAt = new ArrayList<>();
    for (long t = 0; t <= untilMs; t += 20) {
      beforeTick.accept(t);
      int before = s.parallelism;
      g.tick(origin + t * MS);
      if (s.parallelism != before) {
        changedAt.add(t);
      }
    }
    return changedAt;
  }

  private static List<Long> lookEvery20Ms(CarrierGovernor g, FakeScheduler s, long untilMs) {
    return lookEvery20Ms(g, s, 0, untilMs, t -> {});
  }

  /** A governor of a JVM where no process ends (no sign of progress: every stall is a held carrier). */
  private static CarrierGovernor governor(FakeScheduler s, Consumer<Runnable> probes, int base, int ceiling) {
    return governor(s, probes, () -> 0, base, ceiling);
  }

  private static CarrierGovernor governor(FakeScheduler s, Consumer<Runnable> probes, LongSupplier progress,
      int base, int ceiling) {
    return new CarrierGovernor(new CarrierGovernor.Settings(base, ceiling, Duration.ofMillis(20),
        Duration.ofMillis(200), Duration.ofSeconds(5)), s, probes, progress, "test");
  }

  @Test
  void aProbeWaitingLongerThanTheStallAddsOneCarrierPerStallUpToTheCeiling() {
    // given carriers that are all held: no probe ever runs
    FakeScheduler s = new FakeScheduler(2);
    CarrierGovernor g = governor(s, probesRun(false), 2, 4);

    // when the governor looks every 20 ms for 2 s
    List<Long> grewAt = lookEvery20Ms(g, s, 2_000);

    // then one carrier came after the first probe had waited 200 ms, one more 200 ms later, and no more
    assertThat(s.changes).containsExactly(3, 4);
    assertThat(grewAt).containsExactly(200L, 400L);
  }

  @Test
  void theClocksOriginDoesNotMatter() {
    // given a nanoTime that happens to start far below zero (its origin is arbitrary)
    long origin = Long.MIN_VALUE / 2;

    // when carriers are held for 300 ms
    FakeScheduler held = new FakeScheduler(2);
    lookEvery20Ms(governor(held, probesRun(false), 2, 4), held, origin, 300, t -> {});
    // and, elsewhere, a grown JVM is idle for 6 s
    FakeScheduler idle = new FakeScheduler(4);
    lookEvery20Ms(governor(idle, probesRun(true), 2, 8), idle, origin, 6_000, t -> {});

    // then the first stall still added a carrier, and the calm period still took one back
    assertThat(held.changes).containsExactly(3);
    assertThat(idle.changes).containsExactly(3);
  }

  @Test
  void carriersThatKeepUpAreNeverAdded() {
    // given probes that run at once
    FakeScheduler s = new FakeScheduler(2);
    CarrierGovernor g = governor(s, probesRun(true), 2, 8);

    // when the governor looks for a minute
    lookEvery20Ms(g, s, 60_000);

    // then the JVM kept one carrier per core
    assertThat(s.changes).isEmpty();
  }

  @Test
  void addedCarriersAreTakenBackOneAtATimeOnceTwoAreIdleForTheCalmPeriod() {
    // given a JVM that grew to 4 carriers and is now idle
    FakeScheduler s = new FakeScheduler(4);
    s.mounted = 0;
    CarrierGovernor g = governor(s, probesRun(true), 2, 8);

    // when the governor looks for 20 s
    List<Long> shrankAt = lookEvery20Ms(g, s, 20_000);

    // then it went back to its base, one carrier per calm period, and not below
    assertThat(s.changes).containsExactly(3, 2);
    assertThat(shrankAt).containsExactly(5_000L, 10_000L);
  }

  @Test
  void carriersHeldBySpinningProcessesAreKept() {
    // given 4 carriers of which 3 are held by processes that never block
    FakeScheduler s = new FakeScheduler(4);
    s.mounted = 3;
    CarrierGovernor g = governor(s, probesRun(true), 2, 8);

    // when the governor looks for 30 s while the fourth serves everything else promptly
    lookEvery20Ms(g, s, 30_000);

    // then none is taken back (with one fewer, the spinners would hold them all)
    assertThat(s.changes).isEmpty();
  }

  @Test
  void aStallResetsTheCalmPeriod() {
    // given a grown, idle JVM whose probes run, except one that waits 200 ms at 4 s
    FakeScheduler s = new FakeScheduler(4);
    List<Runnable> held = new ArrayList<>();
    boolean[] hold = {false};
    CarrierGovernor g = governor(s, r -> {
      if (hold[0]) {
        held.add(r);
      } else {
        r.run();
      }
    }, 2, 8);

    // when the governor looks for 9.3 s
    List<Long> changedAt = lookEvery20Ms(g, s, 0, 9_300, t -> {
      hold[0] = t == 4_000;
      if (t == 4_220) {
        held.forEach(Runnable::run);
      }
    });

    // then the stall added a carrier at 4.2 s, and the calm period began again when the probe ran: the
    // first carrier was taken back 5 s after that, not at 5 s
    assertThat(s.changes).containsExactly(5, 4);
    assertThat(changedAt).containsExactly(4_200L, 9_220L);
  }

  @Test
  void aStallWhileProcessesKeepEndingIsAShortageOfCpuAndAddsNoCarrier() {
    // given a JVM whose probes wait (its carriers are busy) while its processes keep ending, until 1 s
    FakeScheduler s = new FakeScheduler(2);
    long[] ended = {0};
    CarrierGovernor g = governor(s, probesRun(false), () -> ended[0], 2, 8);

    // when the governor looks for 1.5 s
    List<Long> changedAt = lookEvery20Ms(g, s, 0, 1_500, t -> {
      if (t < 1_000) {
        ended[0]++;
      }
    });

    // then no carrier was added while work got done; once none ended for a whole stall (200 ms after
    // the last look that saw one, at 980 ms) the carriers are held, and they grow one per stall as before
    assertThat(changedAt).containsExactly(1_180L, 1_380L);
    assertThat(s.changes).containsExactly(3, 4);
  }

  @Test
  void aBaseAboveTheCeilingIsRefused() {
    assertThatThrownBy(() -> governor(new FakeScheduler(4), probesRun(true), 4, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 <= base <= ceiling");
  }

  @Test
  void theJdksSchedulerCanBeGovernedFromJdk24() {
    // given this JVM's own virtual-thread scheduler
    var scheduler = CarrierGovernor.available();
    if (Runtime.version().feature() < 24) {
      assertThat(scheduler).isEmpty();
      return;
    }
    CarrierGovernor.Scheduler s = scheduler.orElseThrow();
    int before = s.parallelism();

    // when one carrier is added, then taken back
    s.setParallelism(before + 1);
    int grown = s.parallelism();
    s.setParallelism(before);

    // then the scheduler took both
    assertThat(grown).isEqualTo(before + 1);
    assertThat(s.parallelism()).isEqualTo(before);
    assertThat(s.mounted()).isGreaterThanOrEqualTo(0);
  }
}
