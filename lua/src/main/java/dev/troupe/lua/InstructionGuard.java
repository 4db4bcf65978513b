package dev.troupe.lua;

import java.time.Duration;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaFunction;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.DebugLib;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an endless loop in one Lua process from going unseen or unstoppable. LuaJ calls a state's
 * debug hooks at every instruction when it has them; this one (which gives Lua no {@code debug}
 * library) looks, every {@value #CHECK_EVERY} instructions, whether the process was terminated (its
 * thread interrupted: it unwinds at once) and how long it has run without blocking, and logs a warning
 * once past {@link #DEFAULT_LOOP_REPORT}. A process that has run {@link #SLICE} without blocking gives
 * its carrier thread up (it parks for a microsecond: {@link Thread#yield()} on a virtual thread puts it
 * back on the same carrier's queue, ahead of the threads waiting elsewhere), so that a loop in one process
 * never holds a carrier the others need: Lua processes are preempted, as the original's scheduler does
 * between steps.
 */
final class InstructionGuard extends DebugLib {
  private static final Logger LOG = LoggerFactory.getLogger(InstructionGuard.class);
  /** How long a process may run Lua without blocking before it is reported as looping. */
  static final Duration DEFAULT_LOOP_REPORT = Duration.ofSeconds(2);
  /** How long a Lua process runs before it lets the other virtual threads of the JVM run. */
  static final Duration SLICE = Duration.ofMillis(10);
  private static final long SLICE_NANOS = SLICE.toNanos();
  private static final int CHECK_EVERY = 1024;

  private final LuaLock lock;
  private final String pid;
  private final long reportAfterNanos;
  private int count;
  private long reportedFor = -1;
  private long sliceStart = System.nanoTime();

  InstructionGuard(LuaLock lock, String pid, Duration reportAfter) {
    this.lock = lock;
    this.pid = pid;
    this.reportAfterNanos = reportAfter.toNanos();
  }

  @Override
  public void onInstruction(int pc, Varargs v, int top) {
    if (++count % CHECK_EVERY != 0) {
      return;
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new ProcessStopped();
    }
    long now = System.nanoTime();
    long since = lock.heldSince();
    if (now - Math.max(since, sliceStart) > SLICE_NANOS) {
      sliceStart = now;
      java.util.concurrent.locks.LockSupport.parkNanos(1_000);
    }
    if (since != reportedFor && now - since > reportAfterNanos) {
      reportedFor = since;
      LOG.warn("{}: has run Lua for over {} ms without blocking (an endless loop?); it holds a carrier thread"
          + " meanwhile; terminate it to stop it", pid, reportAfterNanos / 1_000_000);
    }
  }

  // No call stack is kept: these hooks run at every call, and Lua code here has no debug library.
  @Override
  public void onCall(LuaFunction f) {}

  @Override
  public void onCall(LuaClosure c, Varargs varargs, LuaValue[] stack) {}

  @Override
  public void onReturn() {}

  @Override
  public String traceback(int level) {
    return "";
  }
}
