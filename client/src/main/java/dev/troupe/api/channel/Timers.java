package dev.troupe.api.channel;

import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The JVM's timers for processes: sleeps and {@link Time#after} channels, fired by one daemon thread
 * in batches, at most once per {@link #TICK_NANOS}.
 *
 * <p>Why not the JDK's: a virtual thread's {@code Thread.sleep} goes to its scheduler's delay thread,
 * which is woken to file every new timer (JDK 25's {@code DelayScheduler} parks between deadlines,
 * and each insertion signals it); under the tutorial's load, where every worker process sleeps
 * 100 ms, that thread woke 1,800 times a second in each worker JVM. Here a new timer is only queued:
 * the thread is woken for it only when it is due more than a tick before the thread next looks, or when
 * nothing was waiting (so a JVM without timers has a parked thread and no ticks). Timers due in the same
 * tick fire together, so the processes they wake reach the carriers in one batch.
 *
 * <p>A timer fires between its deadline and one tick later. Actions run on the timer thread and must
 * be short (an unpark, a non-blocking channel send).
 */
final class Timers {
  /** The most a timer fires late, and the shortest the thread parks between looks. */
  static final long TICK_NANOS = 1_000_000L;

  private static final Timers SHARED = new Timers();

  /** One timer; cancelled ones stay in the heap until due and are then skipped. */
  static final class Timer implements Comparable<Timer> {
    private final long deadline;
    private final Runnable action;
    private volatile boolean cancelled;

    private Timer(long deadline, Runnable action) {
      this.deadline = deadline;
      this.action = action;
    }

    void cancel() {
      cancelled = true;
    }

    @Override
    public int compareTo(Timer o) {
      return Long.compare(deadline - o.deadline, 0); // nanoTime order, safe across its overflow
    }
  }

  private final ConcurrentLinkedQueue<Timer> incoming = new ConcurrentLinkedQueue<>();
  /** Touched by the timer thread only. */
  private final PriorityQueue<Timer> heap = new PriorityQueue<>();
  private final Thread thread;
  /** When the thread looks next (nanoTime), valid while {@link #parkedIdle} is false. */
  private volatile long nextLook;
  /** The thread is parked with no timer at all: any new one must wake it. */
  private volatile boolean parkedIdle;

  private Timers() {
    thread = Thread.ofPlatform().daemon().name("troupe-timers").unstarted(this::run);
    thread.start();
  }

  /** Runs {@code action} on the timer thread once {@code System.nanoTime()} has passed {@code deadline}. */
  static Timer at(long deadline, Runnable action) {
    return SHARED.add(new Timer(deadline, action));
  }

  /**
   * Parks the calling thread (a virtual thread unmounts) for {@code nanos} ({@link Selector#FOREVER}:
   * until interrupted), or until interrupted.
   *
   * @throws InterruptedException if interrupted before or during the sleep (the interrupt is consumed)
   */
  static void sleep(long nanos) throws InterruptedException {
    if (nanos == Selector.FOREVER) {
      while (true) { // no timer: only an interrupt ends it
        LockSupport.park();
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
    }
    Thread me = Thread.currentThread();
    long deadline = System.nanoTime() + nanos;
    Timer t = at(deadline, () -> LockSupport.unpark(me));
    while (System.nanoTime() - deadline < 0) {
      if (Thread.interrupted()) {
        t.cancel();
        throw new InterruptedException();
      }
      LockSupport.park(t);
    }
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
  }

  private Timer add(Timer t) {
    incoming.add(t);
    // After the add: the thread publishes its plan before it looks at incoming again, so either it
    // sees this timer, or this sees its plan (the two volatile writes and reads cannot both miss).
    if (parkedIdle || t.deadline - nextLook < -TICK_NANOS) {
      LockSupport.unpark(thread);
    }
    return t;
  }

  private void run() {
    while (true) {
      for (Timer t; (t = incoming.poll()) != null; ) {
        heap.add(t);
      }
      long now = System.nanoTime();
      for (Timer t; (t = heap.peek()) != null && t.deadline - now <= 0; ) {
        heap.poll();
        if (!t.cancelled) {
          fire(t);
        }
      }
      Timer first = heap.peek();
      if (first == null) {
        parkedIdle = true;
        if (incoming.isEmpty()) {
          LockSupport.park(this);
        }
        parkedIdle = false;
        continue;
      }
      long look = Math.max(first.deadline - now, TICK_NANOS) + now;
      nextLook = look;
      if (incoming.isEmpty()) {
        LockSupport.parkNanos(this, look - now);
      }
    }
  }

  private static void fire(Timer t) {
    try {
      t.action.run();
    } catch (RuntimeException e) {
      // Troupe's actions (unpark, a non-blocking send) do not throw; one that did is reported as an
      // uncaught exception would be, and must not stop every other timer of the JVM.
      Thread me = Thread.currentThread();
      me.getUncaughtExceptionHandler().uncaughtException(me, e);
    }
  }
}
