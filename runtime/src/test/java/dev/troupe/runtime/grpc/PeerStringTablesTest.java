package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.client.AttachedProcess;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.TestCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two nodes over gRPC: the link between them packs a flood into batches whose texts are sent once a
 * batch (the receiver's handshake ack said it takes string tables), and every message arrives whole
 * and in order.
 */
@Timeout(60)
class PeerStringTablesTest {
  private TestCluster cluster;

  @BeforeEach
  void start() {
    cluster = new TestCluster(Entries.catalog());
    cluster.startNode("n1");
    cluster.startNode("n2");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void aFloodToAnotherNodeGoesInBatchesWithStringTablesAndArrivesInOrder() throws Exception {
    AttachedProcess client = cluster.attachRemote("n1");
    int count = 20_000;
    String collector = client.spawn("test:collect", "app:n2", client.pid(), count);
    Message ready = client.inbox().receive(Duration.ofSeconds(10)).orElseThrow().value();
    assertThat(ready.topic()).isEqualTo("ready");
    client.monitor(collector);

    for (int i = 0; i < count; i++) {
      client.post(collector, "n", (long) i);
    }

    Event exit = client.events().receive(Duration.ofSeconds(30)).orElseThrow().value();
    @SuppressWarnings("unchecked")
    Map<String, Object> result = (Map<String, Object>) exit.result().value();
    List<Long> expected = new ArrayList<>(count);
    for (long i = 0; i < count; i++) {
      expected.add(i);
    }
    assertThat(result.get("values")).isEqualTo(expected);
    assertThat(result.get("senders")).isEqualTo(List.of(client.pid()));

    PeerConnections.LinkStats toN2 = cluster.server("n1").peers().stats().stream()
        .filter(l -> l.peer().startsWith("n2#")).findFirst().orElseThrow();
    assertThat(toN2.stringTables()).as("n2's handshake ack said it takes string tables").isTrue();
    assertThat(toN2.envelopes()).isGreaterThanOrEqualTo(count);
    assertThat(toN2.batches()).as("the flood was packed").isLessThan(toN2.envelopes());
  }
}
