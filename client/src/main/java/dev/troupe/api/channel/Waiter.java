package dev.troupe.api.channel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The single-use token of one blocked operation (a plain send or receive, or a whole select).
 *
 * <p>A blocked select is queued on several channels at once, so several threads may race to
 * complete it. The token makes that race safe without holding more than one channel lock: the
 * only way to commit a hand-over is to win the compare-and-set from {@link #WAITING} to the index
 * of the case being completed. Losers simply skip the stale node and keep their value, so a
 * value can never be handed to a waiter that has already completed through another case.
 */
final class Waiter {

    /** Nobody has completed or cancelled the operation yet. */
    static final int WAITING = -1;
    /** The waiting thread gave up (interrupt, timeout, failed callback). */
    static final int CANCELLED = -2;

    private final Thread thread;
    private final AtomicInteger state = new AtomicInteger(WAITING);

    Waiter(Thread thread) {
        this.thread = thread;
    }

    /**
     * Commits the operation to case {@code index} and wakes the waiting thread (at the end of the
     * completing thread's {@link Channel#handOverThenWake} scope if it is in one). Callers write
     * the node's payload fields first: the successful CAS publishes them to the waiter.
     *
     * @return false when another case or a cancellation got there first
     */
    boolean complete(int index) {
        if (state.compareAndSet(WAITING, index)) {
            Wakeups.unpark(thread);
            return true;
        }
        return false;
    }

    /** Withdraws the operation; false when it was already completed and must be honoured. */
    boolean cancel() {
        return state.compareAndSet(WAITING, CANCELLED);
    }

    boolean isWaiting() {
        return state.get() == WAITING;
    }

    /** The winning case index once completed, or one of the negative markers. */
    int state() {
        return state.get();
    }
}
