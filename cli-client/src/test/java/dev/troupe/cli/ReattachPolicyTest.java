package dev.troupe.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReattachPolicyTest {
  @Test
  void theWaitDoublesFromTheInitialBackoffUpToTheMaximum() {
    ReattachPolicy p = ReattachPolicy.defaults();
    assertThat(java.util.stream.IntStream.range(0, 7).mapToObj(p::delay).map(Duration::toMillis).toList())
        .containsExactly(100L, 200L, 400L, 800L, 1000L, 1000L, 1000L);
    assertThat(p.delay(10_000)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void theDefaultsAreTheDocumentedOnes() {
    assertThat(ReattachPolicy.defaults()).isEqualTo(new ReattachPolicy(Duration.ofMillis(100), Duration.ofSeconds(1),
        Duration.ofSeconds(30)));
  }

  @Test
  void aZeroBackoffOrAMaximumBelowItIsRefused() {
    assertThatThrownBy(() -> new ReattachPolicy(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ReattachPolicy(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
