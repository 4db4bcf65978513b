package dev.troupe.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class DeadlinesTest {
  /** A tick so long that only the test's own sweeps run. */
  private static final Duration NEVER_TICKS = Duration.ofHours(1);

  @Test
  void aFutureStillWaitingAtItsDeadlineFailsWithATimeout() {
    Deadlines d = new Deadlines(NEVER_TICKS);
    CompletableFuture<String> f = d.watch(new CompletableFuture<>(), Duration.ofSeconds(2));
    long now = System.nanoTime();

    d.sweep(now + Duration.ofMillis(1_999).toNanos());
    assertThat(f).isNotDone();

    d.sweep(now + Duration.ofSeconds(3).toNanos());
    assertThatThrownBy(f::join).hasCauseInstanceOf(TimeoutException.class);
    assertThat(d.watched()).isZero();
  }

  @Test
  void aFutureCompletedInTimeKeepsItsValueAndIsDroppedAtTheNextSweep() {
    Deadlines d = new Deadlines(NEVER_TICKS);
    CompletableFuture<String> f = d.watch(new CompletableFuture<>(), Duration.ofSeconds(2));
    f.complete("answer");
    assertThat(d.watched()).isOne();

    d.sweep(System.nanoTime() + Duration.ofSeconds(3).toNanos());

    assertThat(f.join()).isEqualTo("answer");
    assertThat(d.watched()).isZero();
  }

  @Test
  void aFutureAlreadyCompleteIsNotWatched() {
    Deadlines d = new Deadlines(NEVER_TICKS);
    d.watch(CompletableFuture.completedFuture("done"), Duration.ofSeconds(2));
    assertThat(d.watched()).isZero();
  }

  @Test
  void theSweeperWakesFromSleepForANewFutureAndFailsItWithinATick() throws Exception {
    Deadlines d = new Deadlines(Duration.ofMillis(10));
    // First one, then (once the sweeper has gone back to sleep on an empty queue) another.
    for (int round = 0; round < 2; round++) {
      CompletableFuture<String> f = d.watch(new CompletableFuture<>(), Duration.ofMillis(20));
      assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TimeoutException.class);
      assertThat(d.watched()).isZero(); // a timed-out future leaves the queue before it fails
    }
  }

  @Test
  void theSharedTickIsTheDocumentedDefault() {
    assertThat(Deadlines.TICK).isEqualTo(Duration.ofMillis(50));
  }
}
