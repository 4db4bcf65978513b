package dev.troupe.lua;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaValue;

/** string.format gives what C's printf (and so Lua's) gives. */
class LuaFormatTest {
  private static String format(String fmt, Object... args) {
    LuaValue[] values = new LuaValue[args.length + 1];
    values[0] = LuaValue.valueOf(fmt);
    for (int i = 0; i < args.length; i++) {
      values[i + 1] = LuaValues.toLua(args[i]);
    }
    return new LuaFormat().invoke(LuaValue.varargsOf(values)).arg1().tojstring();
  }

  @Test
  void fixedPointHonoursThePrecision() {
    assertThat(format("%.3f", 1.0 / 3)).isEqualTo("0.333");
    assertThat(format("%f", 2.5)).isEqualTo("2.500000");
    assertThat(format("%8.2f|%-8.2f|%08.2f", -3.14159, 3.14159, 3.14159)).isEqualTo("   -3.14|3.14    |00003.14");
  }

  @Test
  void integersWithWidthsFlagsAndBases() {
    assertThat(format("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42))
        .isEqualTo("[   42] [42   ] [00042] [+42] [ 42]");
    assertThat(format("%x %X %#x %o", 255, 255, 255, 8)).isEqualTo("ff FF 0xff 10");
    assertThatThrownBy(() -> format("%d", 1.5)).isInstanceOf(LuaError.class)
        .hasMessageContaining("no integer representation");
  }

  @Test
  void generalFormatIsCsShortestForm() {
    assertThat(format("%g", 100000.0)).isEqualTo("100000");
    assertThat(format("%g", 1e20)).isEqualTo("1e+20");
    assertThat(format("%g", 0.0001)).isEqualTo("0.0001");
    assertThat(format("%g", 0.00001)).isEqualTo("1e-05");
    assertThat(format("%.14g", 0.1)).isEqualTo("0.1");
    assertThat(format("%.3g", 3.14159)).isEqualTo("3.14");
    assertThat(format("%e", 12345.678)).isEqualTo("1.234568e+04");
  }

  @Test
  void stringsQuotingAndPercent() {
    assertThat(format("%s=%5s|%.2s", "k", "v", "abc")).isEqualTo("k=    v|ab");
    assertThat(format("%q", "a\"b\n")).isEqualTo("\"a\\\"b\\\n\"");
    assertThat(format("100%%")).isEqualTo("100%");
    assertThatThrownBy(() -> format("%y", 1)).isInstanceOf(LuaError.class).hasMessageContaining("invalid option");
  }
}
