package dev.troupe.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** PID text form and parsing, as the original's api/pid (reference §1). */
class PidTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "1, 0x00001",
      "4, 0x00004",
      "255, 0x000ff",
      "1048575, 0xfffff",
      "1048576, 0x100000",
      "16777215, 0xffffff",
      "16777216, 0x01000000",
      "4294967295, 0xffffffff",
      "4294967296, 0x0000000100000000",
      "9223372036854775807, 0x7fffffffffffffff"})
  void shouldFormatIdsZeroPaddedTo5_6_8Or16LowercaseHexDigits(long id, String text) {
    assertThat(Pid.formatId(id)).isEqualTo(text);
  }

  @Test
  void shouldWriteTheOriginalsTextForm() {
    assertThat(Pid.of("app:processes", 4).toString()).isEqualTo("{app:processes|0x00004}");
    assertThat(new Pid("node-1", "app:processes", 4).toString())
        .isEqualTo("{node-1@app:processes|0x00004}");
    assertThat(Pid.of("app:processes", 0x100000).toString()).isEqualTo("{app:processes|0x100000}");
  }

  @Test
  void shouldParseWhatItWrites() {
    for (Pid pid : new Pid[] {Pid.of("app:processes", 1), Pid.of("app:terminal", 0xfffff),
        new Pid("n1", "app:n1", 0x100000), new Pid("node-1", "app:x", Long.MAX_VALUE)}) {
      assertThat(Pid.parse(pid.toString())).isEqualTo(pid);
    }
  }

  @Test
  void shouldParseTheNodeAtHostForm() {
    Pid pid = Pid.parse("{node-1@app:processes|0x00004}");

    assertThat(pid.node()).isEqualTo("node-1");
    assertThat(pid.host()).isEqualTo("app:processes");
    assertThat(pid.id()).isEqualTo(4);
  }

  @Test
  void shouldParseTheLegacyThreePartForm() {
    Pid pid = Pid.parse("{app:processes|x|0x00007}");

    assertThat(pid).isEqualTo(Pid.of("app:processes", 7));
    assertThat(Pid.parse("{n@h|legacy|0x5}")).isEqualTo(new Pid("n", "h", 5));
  }

  @Test
  void shouldAcceptUnpaddedAndUppercaseIdsButWritePaddedLowercase() {
    assertThat(Pid.parse("{app:x|0x4}").toString()).isEqualTo("{app:x|0x00004}");
    assertThat(Pid.parse("{app:x|0xFF}").id()).isEqualTo(255);
  }

  @Test
  void shouldTellPidsFromNames() {
    assertThat(Pid.looksLikePid("{app:x|0x00001}")).isTrue();
    assertThat(Pid.looksLikePid("{nope")).isTrue(); // then parse says what is wrong
    assertThat(Pid.looksLikePid("relay")).isFalse();
    assertThat(Pid.looksLikePid("")).isFalse();
    assertThat(Pid.looksLikePid(null)).isFalse();
  }

  @ParameterizedTest(name = "[{0}]")
  @NullAndEmptySource
  @ValueSource(strings = {"{", "{}", "{nope", "nope}", "app:x|0x00001", "{app:x}", "{app:x|}",
      "{app:x|00001}", "{app:x|0x}", "{app:x|0xzz}", "{app:x|0x-1}", "{|0x00001}", "{n@|0x00001}",
      "{app:x|0x00000}", "{app:x|0x00001", "{app:x|x|}", "{app:x|0xffffffffffffffff}",
      "{app:x|0x1ffffffffffffffff}", "{app:x| 0x1}"})
  void shouldRejectMalformedText(String text) {
    assertThatThrownBy(() -> Pid.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("malformed PID");
  }

  @Test
  void shouldRejectImpossiblePids() {
    assertThatThrownBy(() -> Pid.of("", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Pid.of("app:x", 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Pid.of("app:x", -1)).isInstanceOf(IllegalArgumentException.class);
  }
}
