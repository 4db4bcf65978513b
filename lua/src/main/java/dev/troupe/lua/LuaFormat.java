package dev.troupe.lua;

import java.util.Locale;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * {@code string.format} as C's printf does it, which Lua's is: LuaJ ignores the precision of {@code %f}
 * ({@code ("%.3f"):format(1/3)} gave 0.3333333333333333) and gives Java's {@code %g}. Conversions:
 * {@code d i u c x X o e E f F g G q s a A %}, flags {@code - + space # 0}, width and precision.
 */
final class LuaFormat extends VarArgFunction {
  private static final String FLAGS = "-+ #0";

  @Override
  public Varargs invoke(Varargs args) {
    String fmt = args.checkjstring(1);
    StringBuilder out = new StringBuilder();
    int arg = 1;
    for (int i = 0; i < fmt.length(); i++) {
      char c = fmt.charAt(i);
      if (c != '%') {
        out.append(c);
        continue;
      }
      if (++i >= fmt.length()) {
        throw new LuaError("invalid option '%' to 'format'");
      }
      if (fmt.charAt(i) == '%') {
        out.append('%');
        continue;
      }
      int start = i;
      while (i < fmt.length() && FLAGS.indexOf(fmt.charAt(i)) >= 0) {
        i++;
      }
      while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) {
        i++;
      }
      if (i < fmt.length() && fmt.charAt(i) == '.') {
        i++;
        while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) {
          i++;
        }
      }
      if (i >= fmt.length()) {
        throw new LuaError("invalid conversion '%" + fmt.substring(start) + "' to 'format'");
      }
      Spec spec = Spec.parse(fmt.substring(start, i));
      char conv = fmt.charAt(i);
      arg++;
      out.append(spec.pad(convert(conv, spec, args, arg)));
    }
    return LuaString.valueOf(out.toString());
  }

  private static String convert(char conv, Spec spec, Varargs args, int arg) {
    return switch (conv) {
      case 'd', 'i' -> spec.signed(Long.toString(integer(args, arg)));
      case 'u' -> Long.toUnsignedString(integer(args, arg));
      case 'c' -> String.valueOf((char) args.checkint(arg));
      case 'x' -> spec.alternate("0x", Long.toHexString(integer(args, arg)));
      case 'X' -> spec.alternate("0X", Long.toHexString(integer(args, arg)).toUpperCase(Locale.ROOT));
      case 'o' -> spec.alternate("0", Long.toOctalString(integer(args, arg)));
      case 'e', 'E' -> spec.signed(exponent(args.checkdouble(arg), spec.precision(6), conv == 'E'));
      case 'f', 'F' -> spec.signed(fixed(args.checkdouble(arg), spec.precision(6)));
      case 'g', 'G' -> spec.signed(general(args.checkdouble(arg), spec.precision(6), spec.alternate, conv == 'G'));
      case 'a', 'A' -> {
        String h = Double.toHexString(args.checkdouble(arg));
        yield conv == 'A' ? h.toUpperCase(Locale.ROOT) : h;
      }
      case 'q' -> quoted(args.checkjstring(arg));
      case 's' -> {
        String s = LuaText.of(args.arg(arg));
        yield spec.precision >= 0 && s.length() > spec.precision ? s.substring(0, spec.precision) : s;
      }
      default -> throw new LuaError("invalid option '%" + conv + "' to 'format'");
    };
  }

  private static long integer(Varargs args, int arg) {
    double d = args.checkdouble(arg);
    if (d != Math.floor(d)) {
      throw new LuaError("bad argument #" + arg + " to 'format' (number has no integer representation)");
    }
    return (long) d;
  }

  private static String fixed(double v, int precision) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return special(v);
    }
    return String.format(Locale.ROOT, "%." + precision + "f", v);
  }

  private static String exponent(double v, int precision, boolean upper) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return special(v);
    }
    String s = String.format(Locale.ROOT, "%." + precision + "e", v);
    return upper ? s.toUpperCase(Locale.ROOT) : s;
  }

  /** C's %g: the shorter of %e and %f for the precision's significant digits, trailing zeros dropped. */
  private static String general(double v, int precision, boolean keepZeros, boolean upper) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return special(v);
    }
    int p = precision == 0 ? 1 : precision;
    if (v == 0) {
      return keepZeros ? fixed(0, p - 1) : "0";
    }
    String e = String.format(Locale.ROOT, "%." + (p - 1) + "e", v);
    int x = Integer.parseInt(e.substring(e.indexOf('e') + 1));
    String s = p > x && x >= -4 ? String.format(Locale.ROOT, "%." + (p - 1 - x) + "f", v) : e;
    if (!keepZeros) {
      int exp = s.indexOf('e');
      String mantissa = exp < 0 ? s : s.substring(0, exp);
      if (mantissa.contains(".")) {
        mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
      }
      s = exp < 0 ? mantissa : mantissa + s.substring(exp);
    }
    return upper ? s.toUpperCase(Locale.ROOT) : s;
  }

  private static String special(double v) {
    return Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  }

  private static String quoted(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\\n");
        case '\r' -> b.append("\\r");
        case '\0' -> b.append("\\0");
        default -> b.append(c);
      }
    }
    return b.append('"').toString();
  }

  /** Flags, width and precision of one conversion. */
  private record Spec(boolean left, boolean plus, boolean space, boolean alternate, boolean zero, int width,
      int precision) {
    static Spec parse(String s) {
      int i = 0;
      boolean left = false, plus = false, space = false, alt = false, zero = false;
      for (; i < s.length() && FLAGS.indexOf(s.charAt(i)) >= 0; i++) {
        switch (s.charAt(i)) {
          case '-' -> left = true;
          case '+' -> plus = true;
          case ' ' -> space = true;
          case '#' -> alt = true;
          default -> zero = true;
        }
      }
      int dot = s.indexOf('.', i);
      String w = dot < 0 ? s.substring(i) : s.substring(i, dot);
      int width = w.isEmpty() ? 0 : Integer.parseInt(w);
      int precision = dot < 0 ? -1 : dot + 1 == s.length() ? 0 : Integer.parseInt(s.substring(dot + 1));
      if (width > 99 || precision > 99) {
        throw new LuaError("invalid conversion (width or precision over 99) to 'format'");
      }
      return new Spec(left, plus, space, alt, zero, width, precision);
    }

    int precision(int dflt) {
      return precision < 0 ? dflt : precision;
    }

    String signed(String s) {
      if (!s.startsWith("-") && !s.startsWith("n") && !s.startsWith("i")) {
        return plus ? "+" + s : space ? " " + s : s;
      }
      return s;
    }

    String alternate(String prefix, String digits) {
      return alternate && !digits.equals("0") ? prefix + digits : digits;
    }

    String pad(String s) {
      if (s.length() >= width) {
        return s;
      }
      String fill = " ".repeat(width - s.length());
      if (left) {
        return s + fill;
      }
      if (zero && !s.isEmpty() && (Character.isDigit(s.charAt(s.length() - 1)) || s.endsWith("."))) {
        int sign = s.startsWith("-") || s.startsWith("+") || s.startsWith(" ") ? 1 : 0;
        return s.substring(0, sign) + "0".repeat(width - s.length()) + s.substring(sign);
      }
      return fill + s;
    }
  }
}
