package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.systemtests.Topology.Run;
import dev.troupe.systemtests.Topology.Service;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README's first command, {@code scripts/demo.sh}, driven through a pipe: it brings the topology
 * up, echoes, and stops only what it started itself.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DemoIT {
  /** Each reply may take this long: the first echo after a fresh start waits for a worker JVM. */
  private static final String REPLY_TIMEOUT = "--reply-timeout-ms 20000";

  /** The start of the CLI's banner line when the demo's CLI is attached to the relay's node. */
  private static String attachedToTheRelaysNode(Topology topology) {
    return "Attached to node relay at " + topology.address(Service.RELAY) + " as {relay:clients|";
  }

  @Test
  void onItsOwnTheDemoStartsTheTopologyEchoesAndStopsEverythingItStarted() {
    try (Topology topology = Topology.named("demo-own").build()) {
      // given: nothing runs in the run dir

      // when
      Run demo = topology.run(List.of("bash", "-c", "printf 'hello world\\n' | scripts/demo.sh " + REPLY_TIMEOUT),
          Map.of(), Duration.ofSeconds(150));

      // then
      assertThat(demo.exitCode()).as(demo.describe()).isZero();
      assertThat(demo.lines()).as(demo.describe()).contains("  HELLO WORLD", "Goodbye!")
          .anyMatch(l -> l.startsWith("troupe: topology up;"))
          .anyMatch(l -> l.startsWith(attachedToTheRelaysNode(topology)))
          .anyMatch(l -> l.startsWith("troupe: relay stopped (jvm pid "))
          .anyMatch(l -> l.startsWith("troupe: launcher stopped (jvm pid "))
          .anyMatch(l -> l.startsWith("troupe: registry stopped (jvm pid "));
      List<ProcessHandle> left = Topology.stillAliveAfter(RunDirProcesses.of(topology.runDir()), Duration.ofSeconds(2));
      assertThat(left).as("processes of the run dir after the demo: %s", Topology.describe(left)).isEmpty();
    }
  }

  @Test
  void onATopologyThatIsAlreadyUpTheDemoUsesItAndLeavesItRunning() {
    try (Topology topology = Topology.named("demo-already-up").build()) {
      // given: a topology started before the demo
      topology.up();
      topology.awaitEchoWorks(Duration.ofSeconds(60));
      Map<Service, ProcessHandle> jvms = new EnumMap<>(Service.class);
      Map<Service, ProcessHandle> keepers = new EnumMap<>(Service.class);
      for (Service s : Service.values()) {
        jvms.put(s, topology.running(s));
        keepers.put(s, topology.keeper(s).orElseThrow());
      }

      // when
      Run demo = topology.run(List.of("bash", "-c", "printf 'hello\\n' | scripts/demo.sh " + REPLY_TIMEOUT),
          Map.of(), Duration.ofSeconds(90));

      // then: it echoed through that topology, and left every one of its processes running
      assertThat(demo.exitCode()).as(demo.describe()).isZero();
      assertThat(demo.lines()).as(demo.describe()).contains("  HELLO", "Goodbye!")
          .anyMatch(l -> l.startsWith(attachedToTheRelaysNode(topology)))
          .noneMatch(l -> l.contains("stopped"));
      for (Service s : Service.values()) {
        assertThat(demo.stdout()).as(demo.describe()).contains("troupe: " + s.scriptName() + " already running");
        assertThat(topology.process(s)).as(s + " after the demo\n" + demo.describe()).contains(jvms.get(s));
        assertThat(topology.keeper(s)).as(s + "'s keeper after the demo\n" + demo.describe()).contains(keepers.get(s));
      }
    }
  }
}
