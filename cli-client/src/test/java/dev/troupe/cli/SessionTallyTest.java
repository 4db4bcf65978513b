package dev.troupe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The exit code rules of the CLI. */
class SessionTallyTest {
  @Test
  void noLineTypedIsZero() {
    assertThat(new SessionTally().exitCode()).isZero();
  }

  @Test
  void linesTypedAndNoneAnsweredIsOne() {
    SessionTally t = new SessionTally();
    t.line();
    t.line();
    assertThat(t.exitCode()).isEqualTo(1);
  }

  @Test
  void oneAnsweredLineAmongFailuresIsZero() {
    SessionTally t = new SessionTally();
    t.line();
    t.line();
    t.answered();
    assertThat(t.exitCode()).isZero();
  }

  @Test
  void theConnectionLostForGoodIsOneEvenAfterAnswers() {
    SessionTally t = new SessionTally();
    t.line();
    t.answered();
    t.connectionLost();
    assertThat(t.exitCode()).isEqualTo(1);
  }
}
