package dev.troupe.lua;

import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/** Lua values as text, as {@code tostring} gives them (a {@code __tostring} metamethod included). */
final class LuaText {
  private LuaText() {}

  static String of(LuaValue v) {
    LuaValue h = v.metatag(LuaValue.TOSTRING);
    if (!h.isnil()) {
      return h.call(v).tojstring();
    }
    return v.tojstring();
  }

  static String join(Varargs args, String separator) {
    StringBuilder b = new StringBuilder();
    for (int i = 1; i <= args.narg(); i++) {
      if (i > 1) {
        b.append(separator);
      }
      b.append(of(args.arg(i)));
    }
    return b.toString();
  }
}
