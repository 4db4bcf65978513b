package dev.troupe.api.channel;

import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine behind every blocking channel operation (a plain send/receive is a one-case select).
 *
 * <p>Protocol, after Go's runtime: lock every involved channel in id order (so two selects over
 * the same channels cannot deadlock), scan the cases in argument order and complete the first
 * ready one. Otherwise queue one {@link WaitNode} per case, all sharing one {@link Waiter},
 * unlock, run the receivers-waiting callbacks, and park until some other thread wins the
 * waiter's CAS for one case (or an interrupt/timeout wins it with a cancel). Finally the
 * remaining nodes are withdrawn; a counterpart that meets one before that sees a finished
 * waiter, skips it and keeps its value.
 */
final class Selector {

    /** Timeout meaning "block until completed or interrupted". */
    static final long FOREVER = -1;

    private static final Comparator<Channel<?>> BY_ID = Comparator.comparingLong(c -> c.id);

    private Selector() {}

    /** Converts a user timeout: zero or negative polls, absurdly long ones mean forever. */
    static long nanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            return 0;
        }
        try {
            long n = timeout.toNanos();
            return n > Long.MAX_VALUE / 4 ? FOREVER : n;
        } catch (ArithmeticException overflow) {
            return FOREVER;
        }
    }

    /** Completes the first ready case without blocking, or returns null. */
    static SelectResult poll(Case<?>[] cases) {
        Channel<?>[] channels = lockOrder(cases);
        lockAll(channels);
        try {
            return scan(cases);
        } finally {
            unlockAll(channels);
        }
    }

    /**
     * Completes the first ready case, or blocks until one completes.
     *
     * @param timeoutNanos {@link #FOREVER}, 0 to poll, or a positive bound
     * @return the result, or null when the timeout elapsed first
     */
    static SelectResult await(Case<?>[] cases, long timeoutNanos) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        Channel<?>[] channels = lockOrder(cases);
        Waiter waiter = new Waiter(Thread.currentThread());
        WaitNode[] nodes = new WaitNode[cases.length];
        lockAll(channels);
        try {
            SelectResult ready = scan(cases);
            if (ready != null || timeoutNanos == 0) {
                return ready;
            }
            for (int i = 0; i < cases.length; i++) {
                nodes[i] = new WaitNode(waiter, i, cases[i].value);
                cases[i].channel.enqueueLocked(nodes[i], cases[i].send);
            }
        } finally {
            unlockAll(channels);
        }
        announce(cases, channels, waiter, nodes);
        return park(cases, waiter, nodes, timeoutNanos);
    }

    private static SelectResult scan(Case<?>[] cases) {
        for (int i = 0; i < cases.length; i++) {
            Case<?> c = cases[i];
            if (c.send) {
                if (c.channel.offerLocked(c.value)) {
                    return new SelectResult(i, c.channel, c.value, true);
                }
            } else {
                Received<?> r = c.channel.pollLocked();
                if (r != null) {
                    return new SelectResult(i, c.channel, r.value(), r.ok());
                }
            }
        }
        return null;
    }

    /** Runs each receive-case channel's callback once, while the operation is still open. */
    private static void announce(Case<?>[] cases, Channel<?>[] channels, Waiter waiter,
                                 WaitNode[] nodes) {
        for (Channel<?> channel : channels) {
            Runnable callback = channel.receiverWaitingCallback();
            if (callback == null || !waiter.isWaiting() || !receivesFrom(cases, channel)) {
                continue;
            }
            try {
                callback.run();
            } catch (RuntimeException | Error e) {
                if (waiter.cancel()) {
                    withdrawAll(cases, nodes);
                    throw e;
                }
                // Already completed: the result must not be lost, so report the callback bug
                // where uncaught errors of this thread go instead of throwing it.
                Thread t = Thread.currentThread();
                t.getUncaughtExceptionHandler().uncaughtException(t, e);
            }
        }
    }

    private static SelectResult park(Case<?>[] cases, Waiter waiter, WaitNode[] nodes,
                                     long timeoutNanos) throws InterruptedException {
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        // A virtual thread's timed park files its timeout with the scheduler's delay thread and
        // cancels it there, waking that thread both times (about 3 context switches per receive answered
        // in time, measured on a node answering requests); the JVM's process timers take it without a
        // wake-up, at the cost of firing up to a millisecond late, so only for timeouts long enough
        // that a millisecond does not matter. A platform thread's timed park is a timed futex wait,
        // cheap as it is.
        // Filed only when it is about to park: a receive whose value came meanwhile files nothing.
        boolean coarse = timeoutNanos >= Timers.COARSE_FROM_NANOS && Thread.currentThread().isVirtual();
        Timers.Timer timer = null;
        boolean interrupted = false;
        try {
            while (waiter.isWaiting()) {
                if (timeoutNanos > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        if (waiter.cancel()) {
                            withdrawAll(cases, nodes);
                            return null;
                        }
                        break;
                    }
                    if (coarse && timer == null) {
                        try {
                            timer = Timers.at(deadline, Timers.unparker(Thread.currentThread()));
                        } catch (RuntimeException | Error e) {
                            coarse = false; // not filed (out of memory): this wait keeps the JDK's timed park
                        }
                    }
                    if (coarse) {
                        LockSupport.park(waiter);
                    } else {
                        LockSupport.parkNanos(waiter, left);
                    }
                } else {
                    LockSupport.park(waiter);
                }
                if (Thread.interrupted()) {
                    if (waiter.cancel()) {
                        withdrawAll(cases, nodes);
                        throw new InterruptedException();
                    }
                    interrupted = true; // completed concurrently: keep the result, keep the flag
                }
            }
        } finally {
            if (timer != null) {
                timer.cancel();
            }
        }
        withdrawAll(cases, nodes);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        int index = waiter.state();
        Case<?> won = cases[index];
        WaitNode node = nodes[index];
        if (won.send) {
            if (node.closed) {
                throw new ChannelClosedException();
            }
            return new SelectResult(index, won.channel, won.value, true);
        }
        return new SelectResult(index, won.channel, node.value, node.ok);
    }

    private static void withdrawAll(Case<?>[] cases, WaitNode[] nodes) {
        for (int i = 0; i < cases.length; i++) {
            cases[i].channel.withdraw(nodes[i], cases[i].send);
        }
    }

    private static boolean receivesFrom(Case<?>[] cases, Channel<?> channel) {
        for (Case<?> c : cases) {
            if (!c.send && c.channel == channel) {
                return true;
            }
        }
        return false;
    }

    /** The distinct channels of the cases, sorted by id: the global lock order. */
    private static Channel<?>[] lockOrder(Case<?>[] cases) {
        Channel<?>[] channels = new Channel<?>[cases.length];
        for (int i = 0; i < cases.length; i++) {
            channels[i] = Objects.requireNonNull(cases[i], "case").channel;
        }
        if (channels.length < 2) {
            return channels;
        }
        Arrays.sort(channels, BY_ID);
        int distinct = 0;
        for (Channel<?> c : channels) {
            if (distinct == 0 || channels[distinct - 1] != c) {
                channels[distinct++] = c;
            }
        }
        return distinct == channels.length ? channels : Arrays.copyOf(channels, distinct);
    }

    private static void lockAll(Channel<?>[] channels) {
        for (Channel<?> c : channels) {
            c.lock();
        }
    }

    private static void unlockAll(Channel<?>[] channels) {
        for (int i = channels.length - 1; i >= 0; i--) {
            channels[i].unlock();
        }
    }
}
