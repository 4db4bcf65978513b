package dev.troupe.api.channel;

/**
 * Which case of a select completed, and with what.
 *
 * <p>Callers usually dispatch on {@link #index()} (the case's position in the argument list) or
 * on channel identity ({@code result.channel() == ch}); both are provided because a select built
 * in a loop knows positions, while hand-written selects read better by channel.
 *
 * @param index the winning case's position, or -1 for the default of
 *     {@link Select#selectOrDefault}
 * @param channel the winning case's channel (the very instance passed in), null for default
 * @param value the received value, or for a send case the value that was sent; null for default
 * @param ok false only for a receive on a closed, drained channel; true otherwise (also for
 *     default)
 */
public record SelectResult(int index, Channel<?> channel, Object value, boolean ok) {

    private static final SelectResult DEFAULT = new SelectResult(-1, null, null, true);

    /** The result of a {@link Select#selectOrDefault} that found no ready case. */
    public static SelectResult defaultResult() {
        return DEFAULT;
    }

    /** True when no case was ready and the non-blocking select took its default branch. */
    public boolean isDefault() {
        return index < 0;
    }

    /**
     * The value cast to the expected type, to avoid unchecked casts at call sites.
     *
     * @throws ClassCastException if the value is not null and not of that type
     */
    public <T> T value(Class<T> type) {
        return type.cast(value);
    }
}
