package dev.troupe.api.channel;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Test helper: runs blocking channel code on a virtual thread and exposes its outcome. */
final class Async<T> {

    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final Thread thread;

    private Async(Callable<T> body) {
        thread = Thread.ofVirtual().unstarted(() -> {
            try {
                result.complete(body.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        thread.start();
    }

    static <T> Async<T> call(Callable<T> body) {
        return new Async<>(body);
    }

    static Async<Void> run(ThrowingRunnable body) {
        return new Async<>(() -> {
            body.run();
            return null;
        });
    }

    CompletableFuture<T> future() {
        return result;
    }

    Thread thread() {
        return thread;
    }

    /** Interrupts the thread and checks that its blocking call ended with InterruptedException. */
    void interruptEndsItWithInterruptedException() {
        thread.interrupt();
        assertThatThrownBy(() -> result.get(5, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(InterruptedException.class);
    }
}
