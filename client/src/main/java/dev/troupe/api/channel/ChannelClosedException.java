package dev.troupe.api.channel;

/**
 * Thrown by a send on a closed channel, including a sender (or a select with a send case) that
 * was blocked when the channel got closed.
 *
 * <p>It is unchecked, as a Go panic is: sending on a closed channel is a protocol bug of the
 * program, not a condition that callers are expected to handle at every send.
 */
public final class ChannelClosedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception with the runtime's fixed message "send on closed channel". */
    public ChannelClosedException() {
        super("send on closed channel");
    }
}
