package dev.troupe.api.channel;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Timers expressed as channels, so that timeouts compose with {@link Select} like any other
 * event, and a sleep that blocks only the calling coroutine.
 */
public final class Time {

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
        // Fired by the JVM's timer thread (Timers): a non-blocking trySend plus close.
        Timers.at(System.nanoTime() + nanos, () -> {
            channel.trySend(Instant.now());
            channel.close();
        });
        return channel;
    }

    /**
     * Blocks the calling thread (a virtual thread, so only that coroutine) for {@code d}, or up to
     * a millisecond more (timers fire in batches, see {@link Timers}); zero or negative returns at
     * once. It is an interruption point, so that closing a coroutine scope stops sleeping coroutines.
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
        Timers.sleep(Selector.nanos(d));
    }
}
