package dev.troupe.api.channel;

/**
 * One arm of a {@link Select#select select}: a receive from, or a send of a fixed value to, one
 * channel. Cases are created by {@link Channel#receiveCase()} and {@link Channel#sendCase}, are
 * immutable and may be reused across selects (useful in loops).
 *
 * @param <T> the channel's element type
 */
public final class Case<T> {

    final Channel<T> channel;
    final boolean send;
    final T value;

    Case(Channel<T> channel, boolean send, T value) {
        this.channel = channel;
        this.send = send;
        this.value = value;
    }

    /** The channel this case operates on, so callers can match a result to its case. */
    public Channel<T> channel() {
        return channel;
    }

    /** True for a send case, false for a receive case. */
    public boolean isSend() {
        return send;
    }

    /** The value a send case offers; null for a receive case. */
    public T value() {
        return value;
    }

    @Override
    public String toString() {
        return (send ? "send(" + channel + ", " + value + ")" : "receive(" + channel + ")");
    }
}
