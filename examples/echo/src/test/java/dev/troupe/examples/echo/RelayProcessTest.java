package dev.troupe.examples.echo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.Message;
import dev.troupe.api.channel.Received;
import dev.troupe.client.AttachedProcess;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.testing.TestCluster;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The relay on one in-process node: each echo is answered by a worker, or by the relay's echo_error. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RelayProcessTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private final TestCluster cluster = new TestCluster(new EntryCatalog()
      .register("app:relay", RelayProcess::new)
      .register("app:worker", EchoWorker::new));

  @AfterEach
  void stop() {
    cluster.close();
  }

  /** A client with a relay that spawns {@code workerEntry} on the node's host. */
  private AttachedProcess clientWithRelay(String workerEntry) {
    cluster.startNode("n1");
    AttachedProcess client = cluster.attachLocal("n1");
    client.spawn("app:relay", "app:n1",
        new RelaySettings(workerEntry, "app:n1", 0, RelaySettings.DEFAULT_STATS_INTERVAL_MS).toArgs().toArray());
    await("'relay' registered").atMost(WAIT).until(() -> client.registry().lookup("relay").isPresent());
    return client;
  }

  private static Message next(AttachedProcess client) throws InterruptedException {
    Optional<Received<Message>> r = client.inbox().receive(WAIT);
    assertThat(r).as("a message within %s", WAIT).isPresent();
    return r.get().value();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> payloadOf(Message m) {
    return (Map<String, Object>) m.payload();
  }

  @Test
  void anEchoIsAnsweredByAWorkerWithTheRequestsId() throws Exception {
    AttachedProcess client = clientWithRelay(RelaySettings.DEFAULT_WORKER_ENTRY);

    client.send("relay", "echo", Map.of("sender", client.pid(), "data", "hi", "id", 7L));

    Message m = next(client);
    assertThat(m.topic()).isEqualTo("echo_response");
    assertThat(payloadOf(m)).containsEntry("data", "HI").containsEntry("id", 7L);
  }

  @Test
  void whenTheWorkerCannotBeSpawnedTheSenderGetsEchoErrorWithTheIdAndTheReason() throws Exception {
    // given: a relay whose worker entry no host has
    AttachedProcess client = clientWithRelay("app:missing");

    // when
    client.send("relay", "echo", Map.of("sender", client.pid(), "data", "hi", "id", 8L));

    // then: told at once, from the relay, with the spawn's failure
    Message m = next(client);
    assertThat(m.topic()).isEqualTo(EchoProtocol.ECHO_ERROR);
    assertThat(m.from()).isEqualTo(client.registry().lookup("relay").orElseThrow());
    assertThat(payloadOf(m)).containsEntry("id", 8L);
    assertThat((payloadOf(m)).get("reason")).asString().startsWith("NOT_FOUND: ").contains("app:missing");
  }

  @Test
  void anEchoWithoutAnIdStillGetsEchoErrorWithTheReason() throws Exception {
    AttachedProcess client = clientWithRelay("app:missing");

    client.send("relay", "echo", Map.of("sender", client.pid(), "data", "hi"));

    Message m = next(client);
    assertThat(m.topic()).isEqualTo(EchoProtocol.ECHO_ERROR);
    assertThat(payloadOf(m)).doesNotContainKey("id").containsKey("reason");
  }
}
