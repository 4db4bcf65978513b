package dev.troupe.runtime.api.channel;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Timers expressed as channels, so that timeouts compose with {@link Select} like any other
 * event, and a sleep that blocks only the calling coroutine.
 */
public final class Time {

    /**
     * One shared daemon thread fires every timer: firing is a non-blocking trySend plus close,
     * so one thread suffices, and being a daemon it never keeps the JVM alive.
     */
    private static final ScheduledThreadPoolExecutor TIMER = newTimer();

    private Time() {}

    /**
     * Returns a channel that receives the current {@link Instant} once {@code delay} has elapsed
     * and is then closed. After that single value is consumed, receives and selects on it
     * complete at once with ok=false, so a fired timer is never mistaken for a pending one.
     *
     * @throws IllegalArgumentException if {@code delay} is zero or negative
     */
    public static Channel<Instant> after(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative() || delay.isZero()) {
            throw new IllegalArgumentException("after needs a positive duration");
        }
        Channel<Instant> channel = Channel.buffered(1);
        long nanos = Selector.nanos(delay);
        if (nanos == Selector.FOREVER) {
            return channel; // would not fire within the life of the JVM anyway
        }
        TIMER.schedule(() -> {
            channel.trySend(Instant.now());
            channel.close();
        }, nanos, TimeUnit.NANOSECONDS);
        return channel;
    }

    /**
     * Blocks the calling thread (a virtual thread, so only that coroutine) for {@code d}; zero
     * or negative returns at once. It is an interruption point, so that closing a coroutine
     * scope stops sleeping coroutines.
     *
     * @throws InterruptedException if interrupted before or during the sleep
     */
    public static void sleep(Duration d) throws InterruptedException {
        Objects.requireNonNull(d, "d");
        if (d.isNegative() || d.isZero()) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            return;
        }
        Thread.sleep(d);
    }

    private static ScheduledThreadPoolExecutor newTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread t = new Thread(task, "troupe-timer");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }
}
