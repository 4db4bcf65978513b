package dev.troupe.api.channel;

/**
 * The outcome of a receive: a value, or the signal that the channel is closed and drained.
 *
 * <p>A separate {@code ok} flag (as Go's {@code v, ok := <-ch}) is needed because a channel may
 * carry null values, so null alone cannot mean "closed".
 *
 * @param value the received value; null when {@code ok} is false (or when null was sent)
 * @param ok true when a value was received, false when the channel is closed and empty
 * @param <T> the channel's element type
 */
public record Received<T>(T value, boolean ok) {

    /** The shared "closed and drained" result, typed for the caller's channel. */
    @SuppressWarnings("unchecked")
    static <T> Received<T> closed() {
        return (Received<T>) CLOSED;
    }

    private static final Received<Object> CLOSED = new Received<>(null, false);
}
