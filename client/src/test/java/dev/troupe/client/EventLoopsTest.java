package dev.troupe.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EventLoopsTest {
  @AfterEach
  void clear() {
    System.clearProperty(EventLoops.THREADS_PROPERTY);
  }

  @Test
  void aJvmRunsOneEventLoopUnlessToldOtherwise() {
    assertThat(EventLoops.threads()).isEqualTo(1);

    System.setProperty(EventLoops.THREADS_PROPERTY, " 3 ");
    assertThat(EventLoops.threads()).isEqualTo(3);
  }

  @Test
  void aCountThatIsNotAWholeNumberAboveZeroIsRefusedNamingTheProperty() {
    for (String bad : new String[] {"0", "-2", "two", "1.5"}) {
      System.setProperty(EventLoops.THREADS_PROPERTY, bad);
      assertThatThrownBy(EventLoops::threads)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("-Dtroupe.grpc.eventLoopThreads must be a whole number of threads >= 1")
          .hasMessageContaining("'" + bad + "'");
    }
  }
}
