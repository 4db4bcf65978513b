package dev.troupe.lua;

import java.util.concurrent.Semaphore;

/**
 * The one lock of a Lua process. A Lua state is not thread-safe, yet a process's coroutines
 * ({@code coroutine.spawn}) are virtual threads of their own: only the holder of this lock runs Lua,
 * and every call that blocks (a channel, a sleep, a request to the node) gives it up while it waits, so
 * that coroutines take turns at exactly the points where the original's coroutines yield.
 *
 * <p>A semaphore, not a lock owned by a thread: a resumed {@code coroutine.create} coroutine runs on
 * another virtual thread while its resumer waits, under the permit the resumer took.
 */
final class LuaLock {
  private final Semaphore permit = new Semaphore(1);
  private volatile boolean finished;
  private volatile long heldSince = System.nanoTime();

  /** A call that may block; it runs without the lock. */
  interface Blocking<T> {
    T call() throws InterruptedException;
  }

  /** Takes the lock; a coroutine that comes for it after main returned is stopped instead. */
  void acquire() throws InterruptedException {
    permit.acquire();
    heldSince = System.nanoTime();
    if (finished) {
      permit.release();
      throw new InterruptedException("the process has ended");
    }
  }

  void release() {
    permit.release();
  }

  boolean isFinished() {
    return finished;
  }

  /** Marks the process ended: no coroutine runs Lua after main has returned. */
  void finish() {
    finished = true;
  }

  /** Since when the lock's holder has run Lua without blocking, in {@link System#nanoTime()} units. */
  long heldSince() {
    return heldSince;
  }

  /**
   * Runs {@code call} without the lock and takes it back afterwards, even when interrupted (the
   * caller then unwinds through Lua code, which needs the lock).
   *
   * @throws ProcessStopped when the process was terminated, or ended, while waiting
   */
  <T> T blocking(Blocking<T> call) {
    permit.release();
    T result;
    try {
      result = call.call();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result = null;
    } catch (RuntimeException e) {
      // A call the node could not finish because this thread was interrupted fails with CANCELLED:
      // that is the process being stopped, not an error for the Lua code to handle.
      if (!Thread.currentThread().isInterrupted()) {
        retake();
        throw e;
      }
      result = null;
    }
    retake();
    if (Thread.currentThread().isInterrupted() || finished) {
      throw new ProcessStopped();
    }
    return result;
  }

  private void retake() {
    permit.acquireUninterruptibly();
    heldSince = System.nanoTime();
  }
}
