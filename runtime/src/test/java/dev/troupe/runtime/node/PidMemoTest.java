package dev.troupe.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.troupe.api.Pid;
import org.junit.jupiter.api.Test;

class PidMemoTest {
  private final PidMemo memo = new PidMemo();

  @Test
  void givesWhatParseGivesForEveryTextInTurn() {
    assertThat(memo.parse("{app:p|0x00004}")).isEqualTo(Pid.of("app:p", 4));
    assertThat(memo.parse("{app:p|0x00004}")).isEqualTo(Pid.of("app:p", 4));
    assertThat(memo.parse("{app:q|0x00005}")).isEqualTo(Pid.of("app:q", 5));
    assertThat(memo.parse("{n1@app:p|0x00004}")).isEqualTo(Pid.parse("{n1@app:p|0x00004}"));
  }

  @Test
  void aMalformedTextFailsAsParseDoesAndIsNotRemembered() {
    memo.parse("{app:p|0x00004}");
    assertThatThrownBy(() -> memo.parse("{app:p|4}")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("id must be hex");
    assertThat(memo.parse("{app:p|0x00004}")).isEqualTo(Pid.of("app:p", 4));
  }
}
