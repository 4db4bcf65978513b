package dev.troupe.lua;

import dev.troupe.api.ProcessContext;
import java.util.concurrent.SynchronousQueue;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.VarArgFunction;
import org.luaj.vm2.lib.ZeroArgFunction;

/**
 * {@code coroutine}: the original's {@code coroutine.spawn(fn)}, a coroutine of the process that runs
 * by itself, takes turns with the others at every blocking call, and is stopped when main returns; and
 * Lua's {@code create}, {@code resume}, {@code yield}, {@code wrap}, {@code status}, {@code running},
 * {@code isyieldable}. Both kinds run on virtual threads of the process (LuaJ's own coroutines would
 * each take a platform thread); a created coroutine runs only while its resumer waits for it.
 * Coroutine objects are userdata: {@code type(co)} is "userdata", not "thread".
 */
final class CoroutineModule {
  private static final ThreadLocal<Coroutine> CURRENT = new ThreadLocal<>();
  /** Stops the thread of a created coroutine nobody can resume any more (the loop left a generator early). */
  private static final java.lang.ref.Cleaner ABANDONED = java.lang.ref.Cleaner.create();
  private static final LuaTable METATABLE = LuaSandbox.protectedMetatable("coroutine", null);

  private CoroutineModule() {}

  static LuaTable create(ProcessContext process, LuaLock lock) {
    LuaTable m = new LuaTable();
    m.rawset("spawn", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue fn) {
        LuaValue body = fn.checkfunction();
        process.coroutine(() -> {
          try {
            lock.acquire();
          } catch (InterruptedException e) {
            return; // main has returned, or the process was stopped: the coroutine ends with it
          }
          try {
            body.call();
          } catch (ProcessStopped e) {
            // as above
          } catch (LuaError e) {
            throw new LuaProcess.Failure(e);
          } catch (StackOverflowError e) {
            throw new LuaProcess.Failure("stack overflow");
          } finally {
            lock.release();
          }
        });
        return NONE;
      }
    });
    m.rawset("create", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue fn) {
        Coroutine c = new Coroutine(fn.checkfunction(), process);
        LuaUserdata u = new LuaUserdata(c, METATABLE);
        c.ownedBy(u);
        return u;
      }
    });
    m.rawset("resume", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        return check(args.arg1()).resume(args.subargs(2));
      }
    });
    m.rawset("yield", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        Coroutine c = CURRENT.get();
        if (c == null) {
          throw new LuaError("attempt to yield from outside a coroutine");
        }
        return c.yield(args);
      }
    });
    m.rawset("status", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue co) {
        return valueOf(check(co).status);
      }
    });
    m.rawset("running", new ZeroArgFunction() {
      @Override
      public LuaValue call() {
        Coroutine c = CURRENT.get();
        return c == null ? NIL : c.luaValue();
      }
    });
    m.rawset("isyieldable", new ZeroArgFunction() {
      @Override
      public LuaValue call() {
        return valueOf(CURRENT.get() != null);
      }
    });
    m.rawset("wrap", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue fn) {
        Coroutine c = new Coroutine(fn.checkfunction(), process);
        VarArgFunction wrapper = new VarArgFunction() {
          @Override
          public Varargs invoke(Varargs args) {
            Varargs r = c.resume(args);
            if (!r.arg1().toboolean()) {
              throw new LuaError(r.arg(2));
            }
            return r.subargs(2);
          }
        };
        c.ownedBy(wrapper);
        return wrapper;
      }
    });
    return m;
  }

  private static Coroutine check(LuaValue v) {
    return (Coroutine) v.checkuserdata(Coroutine.class);
  }

  /** One created coroutine: a virtual thread that runs only between a resume and the next yield. */
  private static final class Coroutine {
    private record Outcome(boolean done, boolean ok, Varargs values) {}

    private final LuaValue body;
    private final ProcessContext process;
    private final SynchronousQueue<Varargs> resumed = new SynchronousQueue<>();
    private final SynchronousQueue<Outcome> handedBack = new SynchronousQueue<>();
    private final java.util.concurrent.atomic.AtomicReference<Thread> thread = new java.util.concurrent.atomic.AtomicReference<>();
    /** Weak: the coroutine's thread must not keep its Lua object alive, or an abandoned one never ends. */
    private java.lang.ref.WeakReference<LuaValue> owner = new java.lang.ref.WeakReference<>(null);
    volatile String status = "suspended";
    private boolean started;

    Coroutine(LuaValue body, ProcessContext process) {
      this.body = body;
      this.process = process;
    }

    /**
     * Ties the coroutine to the Lua value that resumes it (its object, or wrap's function): once Lua
     * can no longer reach that value, the coroutine's thread, parked in a yield, is stopped.
     */
    void ownedBy(LuaValue value) {
      owner = new java.lang.ref.WeakReference<>(value);
      var t = thread; // the cleaning action holds the thread's holder, not the value
      ABANDONED.register(value, () -> {
        Thread th = t.get();
        if (th != null) {
          th.interrupt();
        }
      });
    }

    LuaValue luaValue() {
      LuaValue v = owner.get();
      return v == null ? LuaValue.NIL : v;
    }

    Varargs resume(Varargs args) {
      if (!"suspended".equals(status)) {
        return LuaValue.varargsOf(LuaValue.FALSE, LuaValue.valueOf("cannot resume " + status + " coroutine"));
      }
      Coroutine caller = CURRENT.get();
      if (caller != null) {
        caller.status = "normal";
      }
      status = "running";
      try {
        if (!started) {
          started = true;
          thread.set(process.coroutine(() -> run(args)));
        } else {
          resumed.put(args);
        }
        // The resumer waits, holding the process's lock for the coroutine, which runs meanwhile.
        Outcome o = handedBack.take();
        status = o.done() ? "dead" : "suspended";
        return o.ok() ? LuaValue.varargsOf(LuaValue.TRUE, o.values()) : LuaValue.varargsOf(LuaValue.FALSE, o.values());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ProcessStopped();
      } finally {
        if (caller != null) {
          caller.status = "running";
        }
      }
    }

    Varargs yield(Varargs values) {
      try {
        handedBack.put(new Outcome(false, true, values));
        return resumed.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ProcessStopped();
      }
    }

    private void run(Varargs args) {
      CURRENT.set(this);
      Outcome o;
      try {
        o = new Outcome(true, true, body.invoke(args));
      } catch (LuaError e) {
        o = new Outcome(true, false, e.getMessageObject() == null ? LuaValue.valueOf(String.valueOf(e.getMessage()))
            : e.getMessageObject());
      } catch (ProcessStopped e) {
        return;
      } catch (StackOverflowError e) {
        o = new Outcome(true, false, LuaValue.valueOf("stack overflow"));
      } catch (RuntimeException e) {
        o = new Outcome(true, false, LuaValue.valueOf(e.toString()));
      }
      try {
        handedBack.put(o);
      } catch (InterruptedException e) {
        // The process ended while nobody waited for this coroutine.
      }
    }
  }
}
