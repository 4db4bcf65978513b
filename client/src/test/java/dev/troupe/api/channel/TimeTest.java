package dev.troupe.api.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.troupe.api.channel.Async;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class TimeTest {

    @Test
    void afterDeliversOneInstantThenReadsAsClosed() throws Exception {
        Instant before = Instant.now();
        Channel<Instant> timer = Time.after(Duration.ofMillis(30));

        Received<Instant> fired = timer.receive();

        assertThat(fired.ok()).isTrue();
        assertThat(fired.value()).isAfterOrEqualTo(before);
        assertThat(timer.receive()).isEqualTo(new Received<>(null, false));
        assertThat(timer.isClosed()).isTrue();
        SelectResult again = Select.selectOrDefault(timer.receiveCase());
        assertThat(again.isDefault()).isFalse();
        assertThat(again.ok()).isFalse();
    }

    @Test
    void afterDoesNotFireEarly() throws Exception {
        Duration delay = Duration.ofMillis(80);
        long start = System.nanoTime();
        Channel<Instant> timer = Time.after(delay);
        assertThat(timer.tryReceive()).isEmpty();

        assertThat(timer.receive().ok()).isTrue();

        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(delay.toNanos());
    }

    @Test
    void afterRejectsZeroAndNegativeDurations() {
        assertThatThrownBy(() -> Time.after(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("after needs a positive duration");
        assertThatThrownBy(() -> Time.after(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("after needs a positive duration");
    }

    @Test
    void afterWorksAsASelectTimeout() throws Exception {
        Channel<String> never = Channel.unbuffered();
        Channel<Instant> timeout = Time.after(Duration.ofMillis(30));

        SelectResult r = Select.select(never.receiveCase(), timeout.receiveCase());

        assertThat(r.channel()).isSameAs(timeout);
        assertThat(r.value()).isInstanceOf(Instant.class);
        assertThat(never.hasWaitingReceiver()).isFalse();
    }

    @Test
    void theTimerThreadIsADaemonSoItCannotKeepTheJvmAlive() throws Exception {
        Time.after(Duration.ofMillis(1)).receive();
        assertThat(Thread.getAllStackTraces().keySet())
                .filteredOn(t -> t.getName().equals("troupe-timers"))
                .isNotEmpty()
                .allMatch(Thread::isDaemon);
    }

    @Test
    void sleepBlocksForAtLeastTheDuration() throws Exception {
        long start = System.nanoTime();
        Time.sleep(Duration.ofMillis(40));
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(40));
        Time.sleep(Duration.ZERO);
    }

    @Test
    void sleepIsInterruptible() throws Exception {
        Async.run(() -> Time.sleep(Duration.ofMinutes(5))).interruptEndsItWithInterruptedException();
    }

    @Test
    void aSleepForeverEndsOnlyByInterrupt() throws Exception {
        Async<Void> sleeper = Async.run(() -> Time.sleep(Duration.ofDays(365_000_000)));
        assertThat(sleeper.future()).isNotDone();
        sleeper.interruptEndsItWithInterruptedException();
    }

    @Test
    void aTimerDueBeforeTheOnesWaitingIsNotHeldBackByThem() throws Exception {
        // given a timer an hour away, which the timer thread parks for
        Channel<Instant> late = Time.after(Duration.ofHours(1));
        Time.after(Duration.ofMillis(5)).receive(); // the thread has planned around the hour-long one

        // when a short one is filed after it
        long start = System.nanoTime();
        Time.after(Duration.ofMillis(20)).receive();

        // then the short one fires in about its time, not an hour later
        assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(5));
        assertThat(late.tryReceive()).isEmpty();
    }

    @Test
    void timersFiledInAnyOrderFireInDeadlineOrder() throws Exception {
        // given timers filed in shuffled order, 10 ms apart
        java.util.List<Integer> order = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        java.util.List<Integer> delays = new java.util.ArrayList<>(java.util.List.of(50, 10, 40, 20, 60, 30));
        long base = System.nanoTime();
        java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(delays.size());
        for (int d : delays) {
            Timers.at(base + TimeUnit.MILLISECONDS.toNanos(d), () -> {
                order.add(d);
                all.countDown();
            });
        }

        // then they fire by deadline
        assertThat(all.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(order).containsExactly(10, 20, 30, 40, 50, 60);
    }

    @Test
    void thousandsOfVirtualThreadsSleepingAtOnceAllWakeAfterTheirTime() throws Exception {
        int n = 5_000;
        java.util.concurrent.atomic.AtomicInteger early = new java.util.concurrent.atomic.AtomicInteger();
        try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                Duration d = Duration.ofMillis(1 + i % 50);
                executor.submit(() -> {
                    long start = System.nanoTime();
                    Time.sleep(d);
                    if (System.nanoTime() - start < d.toNanos()) {
                        early.incrementAndGet();
                    }
                    return null;
                });
            }
        } // close() waits for every task: a lost wake-up would hang here, and the class timeout fails it
        assertThat(early).hasValue(0);
    }
}
