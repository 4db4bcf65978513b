package dev.troupe.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.NodeRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which node serves a remote PID: the answer the message path keeps between messages is the
 * directory's answer, before and after the live nodes change (a restart, a loss).
 */
class RemoteNodesServingTest {
  private static final Pid TARGET = Pid.parse("{app:n2|0x00005}");

  @Test
  void theKeptAnswerFollowsTheDirectoryThroughARestartAndALoss() {
    InMemoryDirectory directory = new InMemoryDirectory();
    RemoteNodes remote = new RemoteNodes("n1", "n1", directory, Duration.ofSeconds(5), new NodeCounters());
    NodeRecord first = new NodeRecord("n2", 1, "127.0.0.1:1", List.of("app:n2"));
    directory.join(first, Map.of(), null);

    assertThat(remote.serving(TARGET)).isEqualTo(first);
    assertThat(remote.serving(Pid.parse(TARGET.toString()))).as("an equal PID, kept").isEqualTo(first);

    NodeRecord restarted = new NodeRecord("n2", 2, "127.0.0.1:2", List.of("app:n2"));
    directory.join(restarted, Map.of(), null);
    assertThat(remote.serving(TARGET)).as("the new incarnation, not the kept answer").isEqualTo(restarted);

    directory.leave(restarted);
    assertThatThrownBy(() -> remote.serving(TARGET)).isInstanceOf(TroupeException.class)
        .hasMessageContaining("no live node serves");
  }
}
