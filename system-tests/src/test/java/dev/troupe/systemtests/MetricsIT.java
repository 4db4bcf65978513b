package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.client.AttachedProcess;
import dev.troupe.systemtests.Topology.Service;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each service started with {@code --metrics-port} serves Prometheus metrics at /metrics, with the
 * values of the work it has done: here, after echoes through the relay.
 */
class MetricsIT {
  private static final int ECHOES = 20;

  @RegisterExtension
  static final Topology topology = Topology.named("metrics").relayArgs("--worker-delay-ms 0").withMetrics().build();

  @BeforeAll
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  static void echoesWereAnswered() throws InterruptedException {
    topology.awaitEchoWorks(Duration.ofSeconds(60));
    AttachedProcess client = topology.attach(Service.RELAY);
    for (int i = 0; i < ECHOES; i++) {
      assertThat(Topology.echo(client, "m" + i, i, Duration.ofSeconds(10))).as("echo %d", i).isPresent();
    }
  }

  @Test
  void theRelaysNodeCountsItsProcessTheWorkersItSpawnedAndTheirExits() {
    Map<String, Double> relay = topology.metrics(Service.RELAY);

    assertThat(relay.get("troupe_processes_live{host=\"app:relay\"}")).as("the relay process").isEqualTo(1.0);
    assertThat(relay.get("troupe_peer_request_duration_seconds_count{kind=\"spawn\",outcome=\"ok\"}"))
        .as("spawns the relay's node asked of the launcher's nodes").isGreaterThanOrEqualTo(ECHOES);
    assertThat(relay.get("troupe_process_events_total{event=\"exit\",kind=\"normal\"}"))
        .as("EXITs of its monitored workers given to the relay").isGreaterThanOrEqualTo(ECHOES);
    assertThat(relay.get("troupe_messages_received_from_peers_total"))
        .as("the workers' answers, from their worker JVMs to the client on this node")
        .isGreaterThanOrEqualTo(ECHOES);
    assertThat(relay.get("troupe_grpc_server_calls_started_total{method=\"troupe.node.v1.AttachService/Attach\"}"))
        .as("attach streams the relay's node took (the relay's supervisor, this test's client)")
        .isGreaterThanOrEqualTo(1);
    assertThat(relay.get("troupe_mailboxes{depth=\"0\"}")).as("processes with an empty mailbox")
        .isGreaterThanOrEqualTo(1);
    assertThat(relay.keySet()).as("the node's own info, and the JVM's")
        .anyMatch(k -> k.startsWith("troupe_node_info{") && k.contains("node=\"relay\""))
        .anyMatch(k -> k.startsWith("jvm_memory_used_bytes{"));
  }

  @Test
  void theLauncherCountsItsWorkerJvmsAndTheirMemory() {
    Map<String, Double> launcher = topology.metrics(Service.LAUNCHER);

    assertThat(launcher.get("troupe_worker_jvms_forked_total")).isGreaterThanOrEqualTo(1);
    assertThat(launcher.get("troupe_worker_processes")).as("processes in worker JVMs, idle now").isNotNull();
    assertThat(launcher.get("troupe_worker_jvms{state=\"spare\"}") + launcher.get("troupe_worker_jvms{state=\"busy\"}"))
        .as("running worker JVMs").isGreaterThanOrEqualTo(1);
    assertThat(launcher.entrySet()).as("a worker JVM's resident memory, over 10 MB")
        .anyMatch(e -> e.getKey().startsWith("troupe_worker_jvm_resident_memory_bytes{") && e.getValue() > 10e6);
  }

  @Test
  void theRegistryCountsNodesNamesAndNameCalls() {
    Map<String, Double> registry = topology.metrics(Service.REGISTRY);

    assertThat(registry.get("troupe_registry_nodes")).as("registry, launcher, relay and a worker JVM")
        .isGreaterThanOrEqualTo(4);
    assertThat(registry.get("troupe_registry_names")).as("'relay'").isGreaterThanOrEqualTo(1);
    assertThat(registry.get("troupe_registry_name_calls_total{call=\"register\"}")).isGreaterThanOrEqualTo(1);
  }
}
