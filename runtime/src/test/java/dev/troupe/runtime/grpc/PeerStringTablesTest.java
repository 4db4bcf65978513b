package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.client.AttachedProcess;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.Floods;
import dev.troupe.runtime.testing.TestCluster;
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

    Map<String, Object> result = Floods.postNumbers(client, "app:n2", count);

    assertThat(result.get("values")).isEqualTo(Floods.numbers(count));
    assertThat(result.get("senders")).isEqualTo(List.of(client.pid()));

    PeerConnections.LinkStats toN2 = cluster.server("n1").peers().stats().stream()
        .filter(l -> l.peer().startsWith("n2#")).findFirst().orElseThrow();
    assertThat(toN2.stringTables()).as("n2's handshake ack said it takes string tables").isTrue();
    assertThat(toN2.envelopes()).isGreaterThanOrEqualTo(count);
    assertThat(toN2.batches()).as("the flood was packed").isLessThan(toN2.envelopes());
  }
}
