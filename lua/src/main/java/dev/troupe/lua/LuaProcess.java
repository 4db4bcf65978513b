package dev.troupe.lua;

import dev.troupe.api.ProcessContext;
import dev.troupe.api.ProcessFailure;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.VarArgFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Lua process: its own state (globals, modules, channels), its lock, and the run of its entry's
 * method. The chunk runs first and must return a table holding the method ({@code return { main = main
 * }}); the method gets the spawn's arguments. Its first result is the process's result; a second
 * result that is a string or an error object, or an error raised in main or in any coroutine, ends it
 * with that error, as in the original.
 */
final class LuaProcess {
  private static final Logger LOG = LoggerFactory.getLogger("dev.troupe.lua.process");

  /** A Lua error that ends the process, its message as Lua gives it ({@code worker.lua:3: boom}). */
  static final class Failure extends RuntimeException {
    Failure(LuaError e) {
      this(message(e));
    }

    Failure(String message) {
      super(message, null, false, false);
    }
  }

  private final LuaScript script;
  private final ProcessContext process;
  private final Terminal terminal;
  private final Duration loopReport;

  LuaProcess(LuaScript script, ProcessContext process, Terminal terminal, Duration loopReport) {
    this.script = script;
    this.process = process;
    this.terminal = terminal;
    this.loopReport = loopReport;
  }

  Object run(List<Object> args) throws InterruptedException {
    LuaLock lock = new LuaLock();
    String pid = process.pid();
    Terminal out = terminal != null ? terminal : new LogTerminal(pid);
    Globals g = LuaSandbox.globals(new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs a) {
        out.write(LuaText.join(a, "\t") + "\n");
        return NONE;
      }
    });
    g.debuglib = new InstructionGuard(lock, pid, loopReport);
    LuaTable loaded = (LuaTable) g.get("package").get("loaded");
    LuaSandbox.install(g, loaded, LuaModules.CHANNEL, ChannelModule.create(lock));
    LuaSandbox.install(g, loaded, "coroutine", CoroutineModule.create(process, lock));
    for (String name : script.modules()) {
      switch (name) {
        case LuaModules.PROCESS -> LuaSandbox.install(g, loaded, name, ProcessModule.create(process, lock));
        case LuaModules.TIME -> LuaSandbox.install(g, loaded, name, TimeModule.create(lock));
        case LuaModules.LOGGER -> LuaSandbox.install(g, loaded, name, LoggerModule.create(pid));
        case LuaModules.IO -> LuaSandbox.install(g, loaded, name, IoModule.create(out, lock));
        default -> { } // channel: a global of every process
      }
    }
    g.rawset("require", new Require(loaded, script));
    lock.acquire();
    try {
      LuaValue chunk = new LuaClosure(script.prototype(), g).call();
      LuaValue method = chunk.istable() ? chunk.get(script.method()) : LuaValue.NIL;
      if (!method.isfunction()) {
        throw new ProcessFailure(script.id() + ": " + script.chunkName() + " must return a table holding the function '"
            + script.method() + "', e.g. return { " + script.method() + " = " + script.method() + " }");
      }
      Varargs result = method.invoke(LuaValues.toLua(args));
      LuaValue error = result.arg(2);
      // As in the original, only a message or an error object makes an error exit: return v, 0 does not.
      if (error.type() == LuaValue.TSTRING || error.touserdata() instanceof LuaErrors.ErrorValue) {
        throw new ProcessFailure(LuaErrors.message(error));
      }
      return LuaValues.toJava(result.arg1());
    } catch (LuaError e) {
      throw new ProcessFailure(message(e));
    } catch (StackOverflowError e) {
      throw new ProcessFailure("stack overflow");
    } finally {
      lock.finish();
      lock.release();
    }
  }

  /**
   * The error as Lua states it: {@code worker.lua:6: boom} for {@code error("boom")} at line 6, or the
   * message of an error object. (LuaJ writes the position as "worker.lua:6 boom" and appends a
   * traceback.)
   */
  static String message(LuaError e) {
    LuaValue o = e.getMessageObject();
    if (o != null && o.isuserdata()) {
      return LuaErrors.message(o);
    }
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    if (nl >= 0) {
      m = m.substring(0, nl);
    }
    return POSITION.matcher(m).replaceFirst("$1: ");
  }

  private static final java.util.regex.Pattern POSITION = java.util.regex.Pattern.compile("^([^\\s:]+:\\d+) ");

  /** {@code require(name)}: one of the entry's modules (also globals), or a clear refusal. */
  private static final class Require extends OneArgFunction {
    private final LuaTable loaded;
    private final LuaScript script;

    Require(LuaTable loaded, LuaScript script) {
      this.loaded = loaded;
      this.script = script;
    }

    @Override
    public LuaValue call(LuaValue name) {
      LuaValue m = loaded.rawget(name.checkjstring());
      if (m.isnil()) {
        String n = name.tojstring();
        throw new LuaError(LuaModules.NAMES.contains(n)
            ? "module '" + n + "' is not listed by entry " + script.id() + "; add it under modules: in its _index.yaml entry"
            : "module '" + n + "' not found; a process can require its entry's modules " + script.modules()
                + " and the standard " + new TreeSet<>(List.of("string", "table", "math", "bit32", "coroutine", "channel")));
      }
      return m;
    }
  }

  /** The output of a process with no terminal ({@code print}, {@code io.write}) goes to the log. */
  private record LogTerminal(String pid) implements Terminal {
    @Override
    public String readLine() throws IOException {
      throw new IOException("no terminal: this process runs on a process host; io.readline reads on a terminal host");
    }

    @Override
    public void write(String text) {
      LOG.info("{}: {}", pid, LoggerModule.oneLine(text.endsWith("\n") ? text.substring(0, text.length() - 1) : text));
    }
  }
}
