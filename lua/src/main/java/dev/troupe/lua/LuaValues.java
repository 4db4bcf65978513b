package dev.troupe.lua;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

/**
 * Lua values to the language-neutral payload (maps, lists, strings, numbers, booleans, null) and back,
 * so that a Lua process talks with Java and Python processes as with another Lua process.
 *
 * <ul>
 *   <li>A table whose keys are exactly 1..n (n at least 1) is a list; any other table a map, its keys
 *       as strings; an empty table a map. Back in Lua, a map's keys that are integers' text
 *       ({@code "10"}) are integers again, so {@code {1, 2, n = 2}} and {@code {[10] = "a"}} arrive as
 *       they were sent.
 *   <li>A number with an integral value within +/-2^53 is a long integer; other numbers doubles.
 *   <li>An error object becomes its message; other userdata (channels, messages) and functions become
 *       null, as in the original, where userdata crosses a process boundary as nil.
 * </ul>
 */
public final class LuaValues {
  private static final double MAX_EXACT = 9_007_199_254_740_992d; // 2^53
  /** How deep tables may nest in a payload (deeper is surely a mistake, and would overflow the stack). */
  static final int MAX_DEPTH = 100;
  /** A map key that is an integer's text becomes that integer again in Lua. */
  private static final java.util.regex.Pattern INTEGER_KEY = java.util.regex.Pattern.compile("-?[1-9]\\d{0,14}|0");

  private LuaValues() {}

  /** The payload for {@code v}; a table that contains itself fails with a Lua error. */
  public static Object toJava(LuaValue v) {
    return toJava(v, new IdentityHashMap<>());
  }

  /** Each value of {@code args} from index {@code from} (1-based) as a payload. */
  public static Object[] toJava(Varargs args, int from) {
    int n = Math.max(0, args.narg() - from + 1);
    Object[] out = new Object[n];
    for (int i = 0; i < n; i++) {
      out[i] = toJava(args.arg(from + i));
    }
    return out;
  }

  private static Object toJava(LuaValue v, IdentityHashMap<LuaValue, Boolean> open) {
    switch (v.type()) {
      case LuaValue.TNIL:
        return null;
      case LuaValue.TBOOLEAN:
        return v.toboolean();
      case LuaValue.TNUMBER:
        if (v.isinttype()) {
          return (long) v.toint();
        }
        double d = v.todouble();
        return d == Math.rint(d) && Math.abs(d) <= MAX_EXACT ? (Object) (long) d : (Object) d;
      case LuaValue.TSTRING:
        return v.tojstring();
      case LuaValue.TTABLE:
        if (open.put(v, Boolean.TRUE) != null) {
          throw new LuaError("a table that contains itself cannot be sent or returned");
        }
        if (open.size() > MAX_DEPTH) {
          throw new LuaError("tables nested over " + MAX_DEPTH + " deep cannot be sent or returned");
        }
        try {
          return table((LuaTable) v, open);
        } finally {
          open.remove(v);
        }
      case LuaValue.TUSERDATA:
        Object o = v.touserdata();
        return o instanceof LuaErrors.ErrorValue e ? e.message() : null;
      default:
        return null;
    }
  }

  private static Object table(LuaTable t, IdentityHashMap<LuaValue, Boolean> open) {
    int n = t.rawlen();
    int keys = 0;
    for (LuaValue k = t.next(LuaValue.NIL).arg1(); !k.isnil(); k = t.next(k).arg1()) {
      keys++;
    }
    if (n > 0 && keys == n) {
      List<Object> list = new ArrayList<>(n);
      for (int i = 1; i <= n; i++) {
        list.add(toJava(t.rawget(i), open));
      }
      return list;
    }
    Map<String, Object> map = new LinkedHashMap<>();
    for (Varargs kv = t.next(LuaValue.NIL); !kv.arg1().isnil(); kv = t.next(kv.arg1())) {
      LuaValue k = kv.arg1();
      Object key = toJava(k, open);
      map.put(key instanceof Long l ? Long.toString(l) : String.valueOf(key), toJava(kv.arg(2), open));
    }
    return map;
  }

  /** The Lua value for a payload: maps and lists become tables, byte arrays strings. */
  public static LuaValue toLua(Object o) {
    if (o == null) {
      return LuaValue.NIL;
    } else if (o instanceof String s) {
      return LuaValue.valueOf(s);
    } else if (o instanceof Boolean b) {
      return LuaValue.valueOf(b);
    } else if (o instanceof Integer i) {
      return LuaValue.valueOf(i);
    } else if (o instanceof Long l) {
      return l == l.intValue() ? LuaValue.valueOf(l.intValue()) : LuaValue.valueOf(l.doubleValue());
    } else if (o instanceof Number n) {
      return LuaValue.valueOf(n.doubleValue());
    } else if (o instanceof byte[] bytes) {
      return LuaString.valueOf(bytes);
    } else if (o instanceof List<?> list) {
      LuaTable t = new LuaTable(list.size(), 0);
      int i = 1;
      for (Object e : list) {
        t.rawset(i++, toLua(e));
      }
      return t;
    } else if (o instanceof Map<?, ?> map) {
      LuaTable t = new LuaTable(0, map.size());
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String key = String.valueOf(e.getKey());
        t.rawset(integerKey(key) ? LuaValue.valueOf(Long.parseLong(key)) : LuaValue.valueOf(key), toLua(e.getValue()));
      }
      return t;
    }
    return LuaValue.valueOf(o.toString());
  }

  /** Whether a map key is an integer's text (most keys are words: no pattern is run for them). */
  private static boolean integerKey(String key) {
    if (key.isEmpty()) {
      return false;
    }
    char c = key.charAt(0);
    return (c == '-' || (c >= '0' && c <= '9')) && INTEGER_KEY.matcher(key).matches();
  }

  /** Each payload as a Lua value, for a function's arguments. */
  public static Varargs toLua(List<Object> values) {
    LuaValue[] out = new LuaValue[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = toLua(values.get(i));
    }
    return LuaValue.varargsOf(out);
  }
}
