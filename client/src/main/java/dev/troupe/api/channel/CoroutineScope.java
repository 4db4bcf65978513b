package dev.troupe.api.channel;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The coroutines of one process: extra virtual threads that live no longer than the process.
 *
 * <p>The process runtime closes the scope when the process's main returns ("coroutines end when
 * main returns"), which interrupts every coroutine still running; and it passes an
 * {@code onUncaught} handler that fails the whole process, because an error in a coroutine is an
 * error of its process and must not vanish silently.
 */
public final class CoroutineScope implements AutoCloseable {

    /** How long {@link #close()} waits for interrupted coroutines to finish. */
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final String name;
    private final Consumer<Throwable> onUncaught;
    private final Set<Thread> live = ConcurrentHashMap.newKeySet();
    private final Object guard = new Object();
    private int spawned;
    private volatile boolean closed;

    /**
     * Creates an open scope.
     *
     * @param name prefix of the coroutine thread names (typically the process's name or pid), so
     *     thread dumps show which process a coroutine belongs to
     * @param onUncaught called once per coroutine that ends with an exception, except an
     *     {@link InterruptedException} after {@link #close()} (the expected way to stop)
     */
    public CoroutineScope(String name, Consumer<Throwable> onUncaught) {
        this.name = Objects.requireNonNull(name, "name");
        this.onUncaught = Objects.requireNonNull(onUncaught, "onUncaught");
    }

    /**
     * Starts {@code body} on a new virtual thread named {@code name + "/co-" + n} (n counting
     * from 1).
     *
     * @return the started thread, e.g. to join it or to interrupt it individually
     * @throws IllegalStateException if the scope is closed, since a coroutine must not outlive
     *     its process
     */
    public Thread spawn(ThrowingRunnable body) {
        Objects.requireNonNull(body, "body");
        synchronized (guard) {
            if (closed) {
                throw new IllegalStateException("coroutine scope " + name + " is closed");
            }
            Thread thread = Thread.ofVirtual()
                    .name(name + "/co-" + ++spawned)
                    .unstarted(() -> runBody(body));
            live.add(thread);
            // Started under the guard so that close() never misses (or interrupts before start)
            // a coroutine it did not see.
            thread.start();
            return thread;
        }
    }

    /** The number of coroutines started and not yet finished. */
    public int liveCount() {
        return live.size();
    }

    /**
     * Interrupts every live coroutine and waits up to one second in total for them to end.
     * Coroutines that ignore the interrupt are left running rather than blocking the process's
     * exit forever. Later calls do nothing; afterwards {@link #spawn} fails.
     */
    @Override
    public void close() {
        List<Thread> toStop;
        synchronized (guard) {
            if (closed) {
                return;
            }
            closed = true;
            toStop = new ArrayList<>(live);
        }
        Thread self = Thread.currentThread();
        for (Thread t : toStop) {
            if (t != self) {
                t.interrupt();
            }
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        boolean interrupted = false;
        for (Thread t : toStop) {
            long left = deadline - System.nanoTime();
            if (t == self || left <= 0) {
                continue;
            }
            try {
                t.join(java.time.Duration.ofNanos(left));
            } catch (InterruptedException e) {
                interrupted = true;
                break;
            }
        }
        if (interrupted) {
            self.interrupt();
        }
    }

    @Override
    public String toString() {
        return "CoroutineScope[" + name + ", live=" + live.size() + (closed ? ", closed" : "") + "]";
    }

    private void runBody(ThrowingRunnable body) {
        try {
            body.run();
        } catch (InterruptedException e) {
            if (!closed) {
                onUncaught.accept(e);
            }
        } catch (Throwable t) {
            onUncaught.accept(t);
        } finally {
            live.remove(Thread.currentThread());
        }
    }
}
