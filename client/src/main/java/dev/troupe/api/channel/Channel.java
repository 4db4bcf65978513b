package dev.troupe.api.channel;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Go-style channel: the way processes and their coroutines hand values to each other.
 *
 * <p>An unbuffered channel is a rendezvous (a send completes only when a receiver takes the
 * value); a buffered one decouples sender and receiver up to its capacity. Values may be null.
 * All methods are thread-safe. Blocking methods block only the calling (virtual) thread and are
 * interruptible; an interrupted blocked operation is withdrawn without consuming or losing a
 * value.
 *
 * <p>Closing is a broadcast: blocked senders fail with {@link ChannelClosedException}, blocked
 * receivers get {@code Received(null, false)}, and values already buffered can still be drained.
 *
 * @param <T> the element type
 */
public final class Channel<T> {

    /** Source of {@link #id}: selects lock several channels in id order to avoid deadlock. */
    private static final AtomicLong IDS = new AtomicLong();

    final long id = IDS.incrementAndGet();
    private final ReentrantLock lock = new ReentrantLock();
    private final RingBuffer buffer;
    private final ArrayDeque<WaitNode> receivers = new ArrayDeque<>();
    private final ArrayDeque<WaitNode> senders = new ArrayDeque<>();
    private volatile boolean closed;
    private volatile Runnable receiverWaitingCallback;

    private Channel(int capacity) {
        this.buffer = new RingBuffer(capacity);
    }

    /** Creates a rendezvous channel: every send waits for a receiver. */
    public static <T> Channel<T> unbuffered() {
        return new Channel<>(0);
    }

    /**
     * Creates a channel that holds up to {@code capacity} values before senders block. A
     * negative capacity is treated as 0 (unbuffered), matching the original runtime, rather
     * than failing a process over a computed size.
     */
    public static <T> Channel<T> buffered(int capacity) {
        return new Channel<>(Math.max(0, capacity));
    }

    /**
     * Sends a value: hands it to a waiting receiver, else buffers it, else blocks until a
     * receiver takes it or buffer room appears.
     *
     * @throws ChannelClosedException if the channel is closed, or gets closed while blocked
     * @throws InterruptedException if interrupted before the value was taken (it is then not sent)
     */
    public void send(T value) throws InterruptedException {
        Selector.await(new Case<?>[] {sendCase(value)}, Selector.FOREVER);
    }

    /**
     * Sends without blocking. This is what producers outside the owning process use (together
     * with {@link #hasWaitingReceiver()} and {@link #onReceiverWaiting}) so they never block on
     * a slow process.
     *
     * @return true when the value was handed over or buffered; false when it would block or the
     *     channel is closed
     */
    public boolean trySend(T value) {
        lock.lock();
        try {
            return !closed && offerLocked(value);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Receives a value, blocking until one is available or the channel is closed and drained.
     *
     * @return the value with ok=true, or {@code (null, false)} once closed and drained
     * @throws InterruptedException if interrupted while blocked (no value is consumed)
     */
    public Received<T> receive() throws InterruptedException {
        return toReceived(Selector.await(new Case<?>[] {receiveCase()}, Selector.FOREVER));
    }

    /**
     * Receives a value, blocking at most {@code timeout}; a zero or negative timeout polls.
     *
     * @return empty on timeout, otherwise as {@link #receive()}
     * @throws InterruptedException if interrupted while blocked (no value is consumed)
     */
    public Optional<Received<T>> receive(Duration timeout) throws InterruptedException {
        SelectResult r = Selector.await(new Case<?>[] {receiveCase()}, Selector.nanos(timeout));
        return Optional.ofNullable(r).map(Channel::toReceived);
    }

    /**
     * Receives without blocking.
     *
     * @return empty when nothing is ready; {@code Received(null, false)} when closed and drained
     */
    public Optional<Received<T>> tryReceive() {
        lock.lock();
        try {
            return Optional.ofNullable(pollLocked());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the channel, waking every blocked sender (with {@link ChannelClosedException}) and
     * receiver (with ok=false). Buffered values stay receivable. Closing twice is ignored, so
     * several owners may close defensively.
     */
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            for (WaitNode r; (r = receivers.pollFirst()) != null; ) {
                r.value = null;
                r.ok = false;
                r.waiter.complete(r.index);
            }
            for (WaitNode s; (s = senders.pollFirst()) != null; ) {
                s.closed = true;
                s.waiter.complete(s.index);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@link #close()} has been called (buffered values may still be pending). */
    public boolean isClosed() {
        return closed;
    }

    /** The number of values currently buffered (always 0 for an unbuffered channel). */
    public int size() {
        lock.lock();
        try {
            return buffer.size();
        } finally {
            lock.unlock();
        }
    }

    /** The buffer capacity given at creation (0 for unbuffered). */
    public int capacity() {
        return buffer.capacity();
    }

    /**
     * Whether some thread is blocked right now in {@link #receive()} or in a select with a
     * receive case on this channel, so that a {@link #trySend} would be taken at once. The
     * process runtime uses this for rendezvous delivery into unbuffered inboxes. The answer
     * may be stale as soon as it is returned; it is a hint, {@code trySend} is the commit.
     */
    public boolean hasWaitingReceiver() {
        lock.lock();
        try {
            receivers.removeIf(n -> !n.waiter.isWaiting());
            return !receivers.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code body}, and wakes the receivers (and senders) that its hand-overs complete only when
     * it returns: for a producer that hands values over ({@link #trySend}) while it holds a lock of
     * its own, so that a receiver never wakes only to block on that lock (BENCHMARKS.md, "Wake-ups
     * after the lock"). Nested scopes wake at the end of the outermost. {@code body} must not block
     * waiting for a thread it hands values to: that thread is not woken before it returns.
     */
    public static void handOverThenWake(Runnable body) {
        Wakeups.deferring(body);
    }

    /**
     * Registers the callback run whenever a receiver starts waiting on this channel (directly or
     * through a select), replacing any previous one; null removes it.
     *
     * <p>It exists so an outside producer that queued deliveries (because {@link #trySend}
     * failed) can retry them exactly when a receiver appears, without polling. It runs on the
     * receiving thread, outside the channel lock, after the receiver is registered and before
     * it parks, so a {@code trySend} from inside the callback is handed to that receiver (or to
     * an earlier waiting one). The callback should be quick and must not block; if it throws
     * before the receive completed, the receive is withdrawn and the exception propagates.
     */
    public void onReceiverWaiting(Runnable callback) {
        this.receiverWaitingCallback = callback;
    }

    /** A select case that receives from this channel. */
    public Case<T> receiveCase() {
        return new Case<>(this, false, null);
    }

    /** A select case that sends {@code value} on this channel. */
    public Case<T> sendCase(T value) {
        return new Case<>(this, true, value);
    }

    @Override
    public String toString() {
        return "Channel#" + id + "[capacity=" + capacity() + (closed ? ", closed" : "") + "]";
    }

    // ---- lock-held primitives used by Selector -------------------------------------------

    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }

    Runnable receiverWaitingCallback() {
        return receiverWaitingCallback;
    }

    /**
     * Tries to complete a send right now; lock held.
     *
     * @return false when the send would block
     * @throws ChannelClosedException when closed (a closed channel is "ready" to fail a send)
     */
    boolean offerLocked(Object value) {
        if (closed) {
            throw new ChannelClosedException();
        }
        for (WaitNode r; (r = receivers.pollFirst()) != null; ) {
            r.value = value;
            r.ok = true;
            if (r.waiter.complete(r.index)) {
                return true;
            }
        }
        if (!buffer.isFull()) {
            buffer.push(value);
            return true;
        }
        return false;
    }

    /**
     * Tries to complete a receive right now; lock held.
     *
     * @return null when the receive would block
     */
    Received<T> pollLocked() {
        if (!buffer.isEmpty()) {
            Object value = buffer.pop();
            WaitNode sender = claimSender();
            if (sender != null) {
                buffer.push(sender.value); // the freed slot goes to the longest-blocked sender
            }
            return new Received<>(cast(value), true);
        }
        WaitNode sender = claimSender();
        if (sender != null) {
            return new Received<>(cast(sender.value), true);
        }
        return closed ? Received.closed() : null;
    }

    /** Queues a blocked case; lock held, channel known not to be ready for it. */
    void enqueueLocked(WaitNode node, boolean send) {
        (send ? senders : receivers).addLast(node);
    }

    /** Removes a case that completed elsewhere or gave up; takes the lock itself. */
    void withdraw(WaitNode node, boolean send) {
        lock.lock();
        try {
            (send ? senders : receivers).remove(node);
        } finally {
            lock.unlock();
        }
    }

    /** Dequeues the first blocked sender that is still waiting and commits its send. */
    private WaitNode claimSender() {
        for (WaitNode s; (s = senders.pollFirst()) != null; ) {
            if (s.waiter.complete(s.index)) {
                return s;
            }
        }
        return null;
    }

    private static <T> Received<T> toReceived(SelectResult r) {
        return new Received<>(cast(r.value()), r.ok());
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object value) {
        return (T) value;
    }
}
