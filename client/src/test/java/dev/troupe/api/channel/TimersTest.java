package dev.troupe.api.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The process timers: a timer fires once, after its deadline, unless cancelled; cancelled timers are
 * dropped in bulk so that long timeouts answered early cannot pile up; timed receives on virtual
 * threads run on them and still time out, and still take a value that comes in time.
 */
class TimersTest {
  private static final long FAR = TimeUnit.MINUTES.toNanos(10);

  @Test
  void aTimerFiresOnceAfterItsDeadlineAndACancelledOneNever() throws Exception {
    Timers timers = new Timers("test-timers-fire");
    CountDownLatch fired = new CountDownLatch(1);
    AtomicInteger cancelledRuns = new AtomicInteger();
    long start = System.nanoTime();

    timers.schedule(start + TimeUnit.MILLISECONDS.toNanos(20), fired::countDown);
    Timers.Timer cancelled = timers.schedule(start + TimeUnit.MILLISECONDS.toNanos(5), cancelledRuns::incrementAndGet);
    cancelled.cancel();

    assertThat(fired.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
    assertThat(cancelledRuns).hasValue(0);
    await().atMost(Duration.ofSeconds(5)).until(() -> timers.deadTimers() == 0); // skipped when due
  }

  @Test
  void aTimerWhoseActionFailsDoesNotStopTheOthers() throws Exception {
    Timers timers = new Timers("test-timers-failing");
    CountDownLatch later = new CountDownLatch(1);
    long now = System.nanoTime();

    timers.schedule(now, () -> {
      throw new OutOfMemoryError("an action that fails (reported, not fatal to the timer thread)");
    });
    timers.schedule(now + TimeUnit.MILLISECONDS.toNanos(20), later::countDown);

    assertThat(later.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void cancellingAFiredTimerCountsForNothing() throws Exception {
    Timers timers = new Timers("test-timers-late-cancel");
    CountDownLatch fired = new CountDownLatch(1);
    Timers.Timer t = timers.schedule(System.nanoTime(), fired::countDown);
    assertThat(fired.await(5, TimeUnit.SECONDS)).isTrue();

    t.cancel();
    t.cancel();

    assertThat(timers.deadTimers()).isZero();
  }

  @Test
  void cancelledTimersAreDroppedOnceThereAreManyNotWhenDue() throws Exception {
    Timers timers = new Timers("test-timers-purge");
    CountDownLatch live = new CountDownLatch(1);
    long now = System.nanoTime();
    timers.schedule(now + TimeUnit.MILLISECONDS.toNanos(200), live::countDown);
    List<Timers.Timer> far = new ArrayList<>();
    for (int i = 0; i < Timers.PURGE_AT - 1; i++) {
      far.add(timers.schedule(now + FAR, () -> {}));
    }
    far.forEach(Timers.Timer::cancel);
    assertThat(timers.deadTimers()).as("below the bound, they wait").isEqualTo(Timers.PURGE_AT - 1);

    timers.schedule(now + FAR, () -> {}).cancel();

    await().atMost(Duration.ofSeconds(5)).until(() -> timers.deadTimers() == 0);
    assertThat(live.await(5, TimeUnit.SECONDS)).as("a live timer survives the purge").isTrue();
  }

  @Test
  void aTimedReceiveOnAVirtualThreadTimesOutAndTakesAValueThatComesInTime() throws Exception {
    Channel<String> ch = Channel.unbuffered();
    long timeout = 2 * Timers.COARSE_FROM_NANOS;

    long start = System.nanoTime();
    Optional<Received<String>> none = Async.call(() -> ch.receive(Duration.ofNanos(timeout))).future().get(5, TimeUnit.SECONDS);
    assertThat(none).isEmpty();
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(timeout);
    assertThat(ch.hasWaitingReceiver()).isFalse();

    int dead = Timers.shared().deadTimers();
    Async<Optional<Received<String>>> receiver = Async.call(() -> ch.receive(Duration.ofMinutes(5)));
    await().atMost(Duration.ofSeconds(5)).until(ch::hasWaitingReceiver);
    assertThat(ch.trySend("v")).isTrue();
    assertThat(receiver.future().get(5, TimeUnit.SECONDS)).contains(new Received<>("v", true));
    assertThat(Timers.shared().deadTimers()).as("its timeout was one of these timers, cancelled").isEqualTo(dead + 1);
  }
}
