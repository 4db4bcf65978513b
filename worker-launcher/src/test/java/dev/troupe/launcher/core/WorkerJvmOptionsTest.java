package dev.troupe.launcher.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerJvmOptionsTest {

  @Test
  void optionsThatTuneOrObserveTheJvmAreTakenAsGiven() {
    List<String> options = List.of("-XX:+HeapDumpOnOutOfMemoryError", "-Xlog:gc:file=/tmp/w-%p.log",
        "-Dapp.mode=lean", "-XX:TieredStopAtLevel=1", "--add-opens=java.base/java.lang=ALL-UNNAMED", "-Xss1m");

    assertThat(WorkerJvmOptions.checked(options)).isEqualTo(options);
  }

  @Test
  void whatTheLauncherDecidesIsRefusedWithTheSettingToUseInstead() {
    assertRefused("-cp", "--worker-classpath");
    assertRefused("--class-path=/x.jar", "--worker-classpath");
    assertRefused("-jar", "own main class");
    assertRefused("-Xmx1g", "--worker-heap-mb");
    assertRefused("-XX:MaxHeapSize=1g", "--worker-heap-mb");
    assertRefused("-XX:AOTCache=/tmp/x.aot", "--aot-cache");
    assertRefused("-XX:AOTMode=off", "--aot-cache");
  }

  @Test
  void optionsThatWouldBreakTheWorkersCommandAreRefused() {
    assertRefused("HeapDumpOnOutOfMemoryError", "starts with '-'");
    assertRefused(" ", "starts with '-'");
    assertRefused("--add-opens", "--add-opens=VALUE");
    assertRefused("-version", "exit instead of running the worker");
    assertRefused("--help", "exit instead of running the worker");
  }

  @Test
  void theJvmsOwnRefusalIsToldInItsWords() throws Exception {
    // given this JDK's java, as the launcher forks workers with its own
    String java = ProcessHandle.current().info().command().orElseThrow();

    // then an option it does not know, or two collectors, are refused with what the JVM says of them
    assertThat(WorkerJvmOptions.refusedByTheJvm(java, List.of("-Xss1m", "-XX:+NoSuchTroupeOption")))
        .hasValueSatisfying(said -> assertThat(said).contains("Unrecognized VM option 'NoSuchTroupeOption'")
            .doesNotContain("Could not create the Java Virtual Machine"));
    assertThat(WorkerJvmOptions.refusedByTheJvm(java, List.of("-XX:+UseSerialGC", "-XX:+UseParallelGC")))
        .hasValueSatisfying(said -> assertThat(said).contains("garbage collectors"));
    // and options it takes are not
    assertThat(WorkerJvmOptions.refusedByTheJvm(java, List.of("-XX:+UseSerialGC", "-Dtroupe.test=on"))).isEmpty();
  }

  @Test
  void withAnAgentTheJvmIsNotAsked() throws Exception {
    // an agent would run (or wait for its debugger) in the checking JVM: no JVM is started, not even one
    // that does not exist
    for (String agent : List.of("-agentlib:jdwp=transport=dt_socket,server=y,suspend=y,address=5005",
        "-javaagent:/opt/agent.jar", "-agentpath:/opt/libagent.so")) {
      assertThat(WorkerJvmOptions.refusedByTheJvm("/nonexistent/bin/java", List.of("-Xss1m", agent))).as(agent).isEmpty();
    }
  }

  @Test
  void theOptionsComeAfterTheLaunchersFlagsSoThatEachWins() {
    List<String> all = WorkerJvmOptions.after(List.of("-XX:+UseParallelGC", "-XX:MaxNewSize=40m"),
        List.of("-XX:MaxNewSize=8m"));

    assertThat(all).containsExactly("-XX:+UseParallelGC", "-XX:MaxNewSize=40m", "-XX:MaxNewSize=8m");
  }

  @Test
  void aCollectorNamedInTheOptionsReplacesTheLaunchersOne() {
    // the JVM refuses to start with two collectors
    assertThat(WorkerJvmOptions.after(List.of("-XX:+UseParallelGC", "-Xss512k"), List.of("-XX:+UseSerialGC")))
        .containsExactly("-Xss512k", "-XX:+UseSerialGC");
    assertThat(WorkerJvmOptions.after(List.of("-XX:+UseParallelGC"), List.of("-XX:+UseStringDeduplication")))
        .as("not a collector: the launcher's stays").startsWith("-XX:+UseParallelGC");
  }

  private static void assertRefused(String option, String hint) {
    assertThatThrownBy(() -> WorkerJvmOptions.checked(List.of("-XX:+HeapDumpOnOutOfMemoryError", option)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + option + "'")
        .hasMessageContaining(hint);
  }
}
