package dev.troupe.runtime.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

/** A node's copy of the view counts every change of its live nodes, and nothing else. */
class PeerCacheVersionTest {
  private static final NodeRecord N2 = new NodeRecord("n2", 1, "127.0.0.1:1", List.of("app:n2"));

  @Test
  void everyChangeOfTheLiveNodesChangesTheVersionAndARepeatedAnnouncementDoesNotMatter() {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try {
      PeerCache cache = new PeerCache(timer, Duration.ofSeconds(5), () -> false);
      cache.tell(DirectoryListener.DEAF);
      long start = cache.version();

      cache.nodeUp(N2);
      long up = cache.version();
      cache.nodeLost("n2", 99, "another incarnation");
      long ignored = cache.version();
      cache.nodeLost("n2", 1, "gone");

      assertThat(up).isNotEqualTo(start);
      assertThat(ignored).as("a loss of an incarnation not cached changes nothing").isEqualTo(up);
      assertThat(cache.version()).isNotEqualTo(up);
      assertThat(cache.liveNodes()).isEmpty();
    } finally {
      timer.shutdownNow();
    }
  }
}
