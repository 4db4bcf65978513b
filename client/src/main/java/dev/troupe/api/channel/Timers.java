package dev.troupe.api.channel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The JVM's timers for processes: sleeps, {@link Time#after} channels and the timeouts of receives and
 * selects on virtual threads ({@link Selector}), fired by one daemon thread in batches, at most once
 * per {@link #TICK_NANOS}.
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
 *
 * <p>A cancelled timer is not looked for in the heap (that would take a lock, or a wake-up of the
 * thread, per cancel): it is skipped when due. A receive that waits up to minutes and is answered in
 * microseconds leaves one behind each time, so once {@link #PURGE_AT} are waiting the thread is woken
 * to drop them all: the heap holds at most that many dead timers, for one wake-up per that many
 * cancels.
 */
final class Timers {
  /** The most a timer fires late, and the shortest the thread parks between looks. */
  static final long TICK_NANOS = 1_000_000L;

  /**
   * The shortest receive or select timeout (on a virtual thread) taken by these timers: shorter ones
   * keep the JDK's precise timed park, for which a millisecond late would matter.
   */
  static final long COARSE_FROM_NANOS = 10 * TICK_NANOS;

  /** Cancelled timers waiting in the heap that make the thread drop them all. */
  static final int PURGE_AT = 16_384;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(Timer.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final Timers SHARED = new Timers();

  private static final int PENDING = 0;
  private static final int FIRED = 1;
  private static final int CANCELLED = 2;

  /** One timer; cancelled ones stay in the heap until due or purged, and are skipped. */
  static final class Timer implements Comparable<Timer> {
    private final long deadline;
    private final Runnable action;
    private final Timers owner;
    private volatile int state = PENDING;

    private Timer(long deadline, Runnable action, Timers owner) {
      this.deadline = deadline;
      this.action = action;
      this.owner = owner;
    }

    /** Keeps it from firing, if it has not fired yet; idempotent. */
    void cancel() {
      if (STATE.compareAndSet(this, PENDING, CANCELLED)) {
        owner.cancelled();
      }
    }

    boolean isCancelled() {
      return state == CANCELLED;
    }

    @Override
    public int compareTo(Timer o) {
      return Long.compare(deadline - o.deadline, 0); // nanoTime order, safe across its overflow
    }
  }

  private final ConcurrentLinkedQueue<Timer> incoming = new ConcurrentLinkedQueue<>();
  /** Timers cancelled and not yet dropped from the heap (or from incoming). */
  private final AtomicInteger dead = new AtomicInteger();
  private final AtomicBoolean purgeAsked = new AtomicBoolean();
  /** Touched by the timer thread only. */
  private final PriorityQueue<Timer> heap = new PriorityQueue<>();
  private final Thread thread;
  /** When the thread looks next (nanoTime), valid while {@link #parkedIdle} is false. */
  private volatile long nextLook;
  /** The thread is parked with no timer at all: any new one must wake it. */
  private volatile boolean parkedIdle;

  private Timers() {
    this("troupe-timers");
  }

  /** A timer thread of its own, for tests. */
  Timers(String threadName) {
    thread = Thread.ofPlatform().daemon().name(threadName).unstarted(this::run);
    thread.start();
  }

  /** Runs {@code action} on the timer thread once {@code System.nanoTime()} has passed {@code deadline}. */
  static Timer at(long deadline, Runnable action) {
    return SHARED.schedule(deadline, action);
  }

  Timer schedule(long deadline, Runnable action) {
    return add(new Timer(deadline, action, this));
  }

  /** The JVM's timers, for tests. */
  static Timers shared() {
    return SHARED;
  }

  /** Cancelled timers not yet dropped: at most about {@link #PURGE_AT}. */
  int deadTimers() {
    return dead.get();
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
    long deadline = System.nanoTime() + nanos;
    Timer t = at(deadline, unparker(Thread.currentThread()));
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

  /** The action of a timer that ends a park: a stray unpark is harmless, parks re-check their condition. */
  static Runnable unparker(Thread thread) {
    return () -> LockSupport.unpark(thread);
  }

  private void cancelled() {
    if (dead.incrementAndGet() >= PURGE_AT && purgeAsked.compareAndSet(false, true)) {
      LockSupport.unpark(thread);
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
      if (purgeAsked.get()) {
        int before = heap.size();
        heap.removeIf(Timer::isCancelled);
        dead.addAndGet(heap.size() - before);
        purgeAsked.set(false);
      }
      long now = System.nanoTime();
      for (Timer t; (t = heap.peek()) != null && t.deadline - now <= 0; ) {
        heap.poll();
        if (STATE.compareAndSet(t, PENDING, FIRED)) {
          fire(t);
        } else {
          dead.decrementAndGet();
        }
      }
      Timer first = heap.peek();
      if (first == null) {
        parkedIdle = true;
        if (incoming.isEmpty() && !purgeAsked.get()) {
          LockSupport.park(this);
        }
        parkedIdle = false;
        continue;
      }
      long look = Math.max(first.deadline - now, TICK_NANOS) + now;
      nextLook = look;
      if (incoming.isEmpty() && !purgeAsked.get()) {
        LockSupport.parkNanos(this, look - now);
      }
    }
  }

  private static void fire(Timer t) {
    try {
      t.action.run();
    } catch (RuntimeException | Error e) {
      // Troupe's actions (unpark, a non-blocking send) do not throw; one that did (an Error too: out of
      // memory while sending) is reported as an uncaught exception would be, and must not stop every
      // other timer of the JVM: receives with a timeout wait for this thread to end them.
      Thread me = Thread.currentThread();
      me.getUncaughtExceptionHandler().uncaughtException(me, e);
    }
  }
}
