package dev.troupe.api.channel;

/**
 * A coroutine body. It may throw checked exceptions (notably {@link InterruptedException} from
 * channel operations) so that bodies need no try/catch boilerplate: whatever escapes is reported
 * by the owning {@link CoroutineScope}.
 */
@FunctionalInterface
public interface ThrowingRunnable {

    /**
     * Runs the body on the coroutine's virtual thread.
     *
     * @throws Exception any failure, reported to the scope's uncaught-error handler
     */
    void run() throws Exception;
}
