package dev.troupe.runtime.api.channel;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

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
}
