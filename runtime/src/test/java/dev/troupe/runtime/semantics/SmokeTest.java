package dev.troupe.runtime.semantics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.client.AttachedProcess;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.TestCluster;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SmokeTest {
  private final TestCluster cluster = new TestCluster(Entries.catalog());

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void remoteClientSpawnsOnAnotherNodeAndGetsReplyAndExit() throws Exception {
    cluster.startNode("n1");
    cluster.startNode("n2");
    AttachedProcess client = cluster.attachRemote("n1");

    String worker = client.spawnMonitored("test:upper", "app:n2", client.pid(), "hello world");

    Message reply = client.inbox().receive(Duration.ofSeconds(5)).orElseThrow().value();
    assertThat(reply.topic()).isEqualTo("echo_response");
    assertThat(reply.from()).isEqualTo(worker);
    assertThat(reply.payload()).isEqualTo(Map.of("data", "HELLO WORLD", "worker", worker));
    Event exit = client.events().receive(Duration.ofSeconds(5)).orElseThrow().value();
    assertThat(exit.kind()).isEqualTo(Event.Kind.EXIT);
    assertThat(exit.from()).isEqualTo(worker);
    assertThat(exit.result().value()).isEqualTo(0L);
    assertThat(worker).matches("\\{app:n2\\|0x[0-9a-f]{5}\\}");
  }
}
