package dev.troupe.client;

import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Request timeouts that cost no thread wake-up per request.
 *
 * <p>{@link CompletableFuture#orTimeout} hands every timeout to a timer thread and cancels it there
 * when the reply comes (JDK 25: the common pool's delay scheduler, signalled both times). A request
 * answered in 100 us then costs one or two context switches more than the request itself: measured
 * on the warm spawn path, the delay scheduler was the busiest thread after the event loop in the
 * launcher and in the client (2,300 wake-ups a second each). Troupe's request timeouts are seconds
 * long, so this class checks them coarsely instead: one daemon thread per JVM walks the futures
 * waiting every {@link #TICK} and fails those past their deadline with a {@link TimeoutException}
 * (as {@code orTimeout} does); a future completed meanwhile is dropped at the next walk. The thread
 * sleeps while nothing waits. A timeout fires between its deadline and one tick later.
 *
 * <p>Not the timer thread of sleeps ({@code Timers}): that one keeps a timer until it is due, and a
 * request answered in 100 us would then be held for its whole timeout (30 s: 300,000 entries at
 * 10,000 requests a second); here an answered request is dropped at the next walk.
 */
public final class Deadlines {
  /** How often waiting futures are checked; the most a timeout can fire late. */
  public static final Duration TICK =
      Duration.ofMillis(SystemProperties.atLeastOne("troupe.deadlines.tickMs", 50, "milliseconds"));

  private static final Deadlines SHARED = new Deadlines(TICK);

  private record Waiting(CompletableFuture<?> future, long deadline) {}

  private final ConcurrentLinkedQueue<Waiting> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean asleep = new AtomicBoolean();
  private final long tickNanos;
  private final Thread sweeper;

  Deadlines(Duration tick) {
    this.tickNanos = tick.toNanos();
    this.sweeper = Thread.ofPlatform().daemon().name("troupe-deadlines").unstarted(this::run);
    sweeper.start();
  }

  /**
   * Fails {@code future} with a {@link TimeoutException} if it is still incomplete {@code timeout}
   * from now (up to one {@link #TICK} later); returns it, like {@code orTimeout}.
   */
  public static <T> CompletableFuture<T> orTimeout(CompletableFuture<T> future, Duration timeout) {
    return SHARED.watch(future, timeout);
  }

  <T> CompletableFuture<T> watch(CompletableFuture<T> future, Duration timeout) {
    if (!future.isDone()) {
      waiting.add(new Waiting(future, System.nanoTime() + timeout.toNanos()));
      if (asleep.get() && asleep.compareAndSet(true, false)) {
        LockSupport.unpark(sweeper);
      }
    }
    return future;
  }

  /** Futures not yet dropped by a walk (completed ones stay until the next one). */
  int watched() {
    return waiting.size();
  }

  private void run() {
    while (true) {
      if (waiting.isEmpty()) {
        asleep.set(true);
        // A watch between isEmpty and set(true) saw asleep == false and did not unpark: look again.
        if (waiting.isEmpty()) {
          LockSupport.park(this);
        }
        asleep.set(false);
        continue;
      }
      LockSupport.parkNanos(this, tickNanos);
      sweep(System.nanoTime());
    }
  }

  void sweep(long now) {
    for (Iterator<Waiting> it = waiting.iterator(); it.hasNext(); ) {
      Waiting w = it.next();
      if (w.future().isDone()) {
        it.remove();
      } else if (now - w.deadline() >= 0) {
        it.remove();
        w.future().completeExceptionally(new TimeoutException());
      }
    }
  }
}
