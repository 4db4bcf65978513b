package dev.troupe.lua;

import java.io.IOException;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * The terminal's {@code io}: {@code io.print(...)} (values separated by tabs, then a new line),
 * {@code io.write(...)} (as they are) and {@code io.readline()} (the next line, or nil at the end of
 * input; it blocks only the calling coroutine). Not Lua's file {@code io}: a process opens no files.
 * A process without a terminal gets {@code nil, err} from {@code readline} and its output in the log.
 */
final class IoModule {
  private IoModule() {}

  static LuaTable create(Terminal terminal, LuaLock lock) {
    LuaTable m = new LuaTable();
    m.rawset("print", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        terminal.write(LuaText.join(args, "\t") + "\n");
        return NONE;
      }
    });
    m.rawset("write", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        terminal.write(LuaText.join(args, ""));
        return NONE;
      }
    });
    m.rawset("readline", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        String line;
        try {
          line = lock.blocking(() -> {
            try {
              return terminal.readLine();
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
        } catch (java.io.UncheckedIOException e) {
          return LuaErrors.failure("INTERNAL", "cannot read the terminal: " + e.getCause().getMessage());
        }
        return line == null ? NIL : valueOf(line);
      }
    });
    return m;
  }
}
