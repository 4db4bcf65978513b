package dev.troupe.api.channel;

/**
 * One case of a blocked operation, queued on one channel.
 *
 * <p>A node is removed from its channel's queue (under that channel's lock) before anyone tries
 * to complete it, so at most one thread ever writes its payload fields; the writes are published
 * to the waiting thread by the {@link Waiter#complete} CAS that follows them.
 */
final class WaitNode {

    final Waiter waiter;
    final int index;
    /** For a sender: the value offered. For a receiver: the value delivered. */
    Object value;
    /** For a receiver: false when woken by close. */
    boolean ok;
    /** For a sender: true when woken by close, so the sender must fail. */
    boolean closed;

    WaitNode(Waiter waiter, int index, Object value) {
        this.waiter = waiter;
        this.index = index;
        this.value = value;
    }
}
