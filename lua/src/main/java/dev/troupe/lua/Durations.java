package dev.troupe.lua;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaValue;

/**
 * Durations as the original's {@code time} module takes them: a number is nanoseconds; a string is a
 * Go duration ({@code "100ms"}, {@code "2s"}, {@code "1h30m"}, {@code "1.5s"}, units ns, us, ms, s, m, h).
 */
final class Durations {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");

  private Durations() {}

  static Duration of(LuaValue v) {
    if (v.type() == LuaValue.TNUMBER) {
      return Duration.ofNanos((long) v.todouble());
    }
    if (v.type() == LuaValue.TSTRING) {
      return parse(v.tojstring());
    }
    throw new LuaError("a duration must be a number of nanoseconds or a string such as \"100ms\", got "
        + v.typename());
  }

  static Duration parse(String text) {
    String s = text.trim();
    boolean negative = s.startsWith("-");
    if (negative || s.startsWith("+")) {
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    Matcher m = PART.matcher(s);
    double nanos = 0;
    int at = 0;
    while (at < s.length() && m.find(at) && m.start() == at) {
      nanos += Double.parseDouble(m.group(1)) * unit(m.group(2));
      at = m.end();
    }
    if (at == 0 || at != s.length()) {
      throw new LuaError("invalid duration \"" + text + "\"; write it as 100ms, 2s, 1h30m or 1.5s");
    }
    long n = (long) nanos;
    return Duration.ofNanos(negative ? -n : n);
  }

  private static double unit(String u) {
    return switch (u) {
      case "ns" -> 1;
      case "us", "µs", "μs" -> 1e3;
      case "ms" -> 1e6;
      case "s" -> 1e9;
      case "m" -> 60e9;
      default -> 3600e9;
    };
  }
}
