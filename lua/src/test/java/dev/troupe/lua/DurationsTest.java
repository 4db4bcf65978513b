package dev.troupe.lua;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaValue;

/** Durations as the original's time module takes them: Go duration strings, or nanoseconds. */
class DurationsTest {
  @Test
  void goDurationStrings() {
    assertThat(Durations.parse("100ms")).isEqualTo(Duration.ofMillis(100));
    assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.parse("250us")).isEqualTo(Duration.ofNanos(250_000));
    assertThat(Durations.parse("0")).isEqualTo(Duration.ZERO);
    assertThat(Durations.parse("-5s")).isEqualTo(Duration.ofSeconds(-5));
  }

  @Test
  void aNumberIsNanoseconds() {
    assertThat(Durations.of(LuaValue.valueOf(1e9))).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aMistakeSaysHowToWriteIt() {
    assertThatThrownBy(() -> Durations.parse("5 seconds")).isInstanceOf(LuaError.class).hasMessageContaining("100ms");
    assertThatThrownBy(() -> Durations.parse("5")).isInstanceOf(LuaError.class);
    assertThatThrownBy(() -> Durations.of(LuaValue.TRUE)).isInstanceOf(LuaError.class).hasMessageContaining("boolean");
  }
}
