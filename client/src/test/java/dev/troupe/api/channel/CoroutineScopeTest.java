package dev.troupe.api.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class CoroutineScopeTest {

    private final List<Throwable> failures = new CopyOnWriteArrayList<>();

    @Test
    void spawnStartsNamedVirtualThreads() throws Exception {
        try (CoroutineScope scope = new CoroutineScope("proc-7", failures::add)) {
            Channel<String> names = Channel.buffered(2);
            Thread first = scope.spawn(() -> names.send(Thread.currentThread().getName()));
            Thread second = scope.spawn(() -> names.send(Thread.currentThread().getName()));

            assertThat(first.isVirtual()).isTrue();
            assertThat(first.getName()).isEqualTo("proc-7/co-1");
            assertThat(second.getName()).isEqualTo("proc-7/co-2");
            assertThat(List.of(names.receive().value(), names.receive().value()))
                    .containsExactlyInAnyOrder("proc-7/co-1", "proc-7/co-2");
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void closeInterruptsBlockedCoroutinesWithoutReportingThem() throws Exception {
        CoroutineScope scope = new CoroutineScope("p", failures::add);
        Channel<String> never = Channel.unbuffered();
        CountDownLatch started = new CountDownLatch(2);
        scope.spawn(() -> {
            started.countDown();
            never.receive();
        });
        scope.spawn(() -> {
            started.countDown();
            Time.sleep(Duration.ofMinutes(5));
        });
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(scope.liveCount()).isEqualTo(2);

        scope.close();

        assertThat(scope.liveCount()).isZero();
        assertThat(failures).isEmpty();
        assertThat(never.hasWaitingReceiver()).isFalse();
    }

    @Test
    void anUncaughtCoroutineErrorIsReportedOnce() throws Exception {
        try (CoroutineScope scope = new CoroutineScope("p", failures::add)) {
            IllegalStateException boom = new IllegalStateException("boom");
            Thread t = scope.spawn(() -> {
                throw boom;
            });
            assertThat(t.join(Duration.ofSeconds(5))).isTrue();

            assertThat(failures).containsExactly(boom);
            await().atMost(Duration.ofSeconds(5)).until(() -> scope.liveCount() == 0);
        }
    }

    @Test
    void anInterruptedExceptionBeforeCloseIsAFailure() throws Exception {
        try (CoroutineScope scope = new CoroutineScope("p", failures::add)) {
            Thread t = scope.spawn(() -> Channel.unbuffered().receive());
            await().atMost(Duration.ofSeconds(5)).until(() -> t.getState() == Thread.State.WAITING);
            t.interrupt();
            assertThat(t.join(Duration.ofSeconds(5))).isTrue();
            assertThat(failures).singleElement().isInstanceOf(InterruptedException.class);
        }
    }

    @Test
    void spawnAfterCloseIsRejected() {
        CoroutineScope scope = new CoroutineScope("p", failures::add);
        scope.close();
        scope.close();
        assertThatThrownBy(() -> scope.spawn(() -> { }))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closeGivesUpAfterAboutOneSecondOnCoroutinesThatIgnoreInterrupts() throws Exception {
        CoroutineScope scope = new CoroutineScope("p", failures::add);
        AtomicBoolean release = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        Thread stubborn = scope.spawn(() -> {
            started.countDown();
            while (!release.get()) {
                Thread.onSpinWait();
                Thread.interrupted(); // deliberately swallows the interrupt
                Thread.yield();
            }
        });
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        long start = System.nanoTime();
        scope.close();
        long elapsed = System.nanoTime() - start;

        assertThat(elapsed).isBetween(TimeUnit.MILLISECONDS.toNanos(900), TimeUnit.SECONDS.toNanos(5));
        assertThat(scope.liveCount()).isEqualTo(1);
        release.set(true);
        assertThat(stubborn.join(Duration.ofSeconds(5))).isTrue();
        assertThat(failures).isEmpty();
    }
}
