package dev.troupe.api.channel;

import java.util.ArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * The wake-ups of the threads a hand-over completes, deferred to the end of a scope on the handing
 * thread ({@link Channel#handOverThenWake}), or done at once outside one.
 *
 * <p>Why: a producer that hands values over while it holds a lock of its own (a mailbox's) woke the
 * receiver inside that lock. On a busy machine the receiver then often ran before the producer left
 * the lock (the scheduler favours the thread just woken), reached for the same lock, and blocked on
 * it: a virtual thread blocked on a monitor is resumed through the JVM's unblocker thread, so one
 * delivery cost three or four thread switches instead of one.
 */
final class Wakeups {
  private static final ThreadLocal<Wakeups> CURRENT = ThreadLocal.withInitial(Wakeups::new);

  private int depth;
  private Thread first;
  private ArrayList<Thread> more;

  private Wakeups() {}

  /** Wakes {@code thread} now, or at the end of the current thread's scope if it is in one. */
  static void unpark(Thread thread) {
    Wakeups w = CURRENT.get();
    if (w.depth == 0) {
      LockSupport.unpark(thread);
    } else if (w.first == null) {
      w.first = thread;
    } else {
      if (w.more == null) {
        w.more = new ArrayList<>(4);
      }
      w.more.add(thread);
    }
  }

  /** Runs {@code body}; the threads its hand-overs complete are woken once the outermost scope ends. */
  static void deferring(Runnable body) {
    Wakeups w = CURRENT.get();
    w.depth++;
    try {
      body.run();
    } finally {
      if (--w.depth == 0) {
        w.wakeAll();
      }
    }
  }

  private void wakeAll() {
    Thread t = first;
    if (t == null) {
      return;
    }
    first = null;
    LockSupport.unpark(t);
    ArrayList<Thread> rest = more;
    if (rest != null && !rest.isEmpty()) {
      for (int i = 0, n = rest.size(); i < n; i++) {
        LockSupport.unpark(rest.get(i));
      }
      rest.clear();
    }
  }
}
