package dev.troupe.launcher.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JvmForkerTest {
  @TempDir
  Path dir;

  @Test
  void theKernelsHugePageModeIsTheBracketedOne() throws Exception {
    // given the kernel's setting files as Linux writes them
    Path madvise = Files.writeString(dir.resolve("madvise"), "always [madvise] never\n");
    Path never = Files.writeString(dir.resolve("never"), "always madvise [never]\n");

    // then the selected mode is read, and a missing file means none
    assertThat(JvmForker.hugePagesMode(madvise)).contains("madvise");
    assertThat(JvmForker.hugePagesMode(never)).contains("never");
    assertThat(JvmForker.hugePagesMode(dir.resolve("absent"))).isEmpty();
  }

  @Test
  void aWorkerStartsWithOneCarrierPerCoreAndIsToldItsCeiling() {
    // given a forker allowing 12 carriers
    JvmForker forker = new JvmForker("java", "a.jar", 256, 12, null, List.of());

    // then the scheduler starts at one per core where the worker can grow it (JDK 24+), else at 12
    int first = Runtime.version().feature() >= 24 ? Math.min(PoolSettings.CORES, 12) : 12;
    assertThat(forker.jvmFlags()).contains("-Djdk.virtualThreadScheduler.parallelism=" + first);
    assertThat(forker.jvmFlags().contains("-XX:+UseTransparentHugePages")).isEqualTo(JvmForker.HUGE_PAGES);
  }

  @Test
  void theOperatorsOptionsFollowTheLaunchersFlagsInTheWorkersAndInTheAotTraining() throws Exception {
    // given a forker with an AOT cache and two options, one naming a collector
    JvmForker forker = new JvmForker("java", "a.jar", 256, 12, dir.resolve("w.aot"), List.of(), null,
        List.of("-XX:+UseSerialGC", "-XX:MaxNewSize=8m"));

    // then workers start with them last and with one collector
    List<String> flags = forker.jvmFlags();
    assertThat(flags.subList(flags.size() - 2, flags.size())).containsExactly("-XX:+UseSerialGC", "-XX:MaxNewSize=8m");
    assertThat(flags).doesNotContain("-XX:+UseParallelGC");
    // and the JVM that builds the AOT cache is told them, for its training run
    List<String> builder = forker.aotBuilderCommand();
    assertThat(String.join(" ", builder)).endsWith("--jvm-option -XX:+UseSerialGC --jvm-option -XX:MaxNewSize=8m");
  }

  @Test
  void aForkerRefusesAnOptionTheLauncherDecides() {
    assertThatThrownBy(() -> new JvmForker("java", "a.jar", 256, 12, null, List.of(), null, List.of("-Xmx2g")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--worker-heap-mb");
  }
}
