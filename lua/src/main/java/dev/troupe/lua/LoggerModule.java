package dev.troupe.lua;

import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code logger:info(message, fields)} and {@code debug}, {@code warn}, {@code error}: one line in the
 * JVM's log, the process's PID first, then the message and the fields, e.g.
 * {@code {app:processes|0x00002}: relay started {pid={app:processes|0x00002}}}. Called with a dot as
 * well as with a colon.
 */
final class LoggerModule {
  private static final Logger LOG = LoggerFactory.getLogger("dev.troupe.lua.process");

  private LoggerModule() {}

  enum Level { DEBUG, INFO, WARN, ERROR }

  /** A process writes one line at a time: it cannot forge lines that seem to be another's. */
  static String oneLine(String text) {
    return text.replace("\r", "\\r").replace("\n", "\\n");
  }

  static LuaTable create(String pid) {
    LuaTable m = new LuaTable();
    for (Level level : Level.values()) {
      m.rawset(level.name().toLowerCase(java.util.Locale.ROOT), new VarArgFunction() {
        @Override
        public Varargs invoke(Varargs args) {
          int first = args.arg1() == m ? 2 : 1; // logger:info(...) passes the table first
          log(level, pid, LuaText.of(args.arg(first)), args.arg(first + 1));
          return NONE;
        }
      });
    }
    return m;
  }

  static void log(Level level, String pid, String message, LuaValue fields) {
    Object f = fields.isnil() ? null : LuaValues.toJava(fields);
    String line = oneLine(f == null ? message : message + " " + f);
    switch (level) {
      case DEBUG -> LOG.debug("{}: {}", pid, line);
      case INFO -> LOG.info("{}: {}", pid, line);
      case WARN -> LOG.warn("{}: {}", pid, line);
      case ERROR -> LOG.error("{}: {}", pid, line);
    }
  }
}
