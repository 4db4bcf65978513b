package dev.troupe.launcher.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
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
    List<String> builder = forker.aotBuilderCommand(forker.aotCacheFile());
    assertThat(String.join(" ", builder)).contains("--build-aot " + forker.aotCacheFile())
        .endsWith("--jvm-option -XX:+UseSerialGC --jvm-option -XX:MaxNewSize=8m");
  }

  @Test
  void theAotCacheIsNamedAfterTheJarsAndFlagsItIsBuiltFor() throws Exception {
    // given a forker whose class path is a jar, and its cache's file
    Path jar = Files.writeString(dir.resolve("app.jar"), "the first build");
    JvmForker forker = new JvmForker("java", jar.toString(), 256, 12, dir.resolve("worker.aot"), List.of());
    Path first = forker.aotCacheFile();

    // then its name carries a fingerprint, the same while nothing changes
    assertThat(first.getParent()).isEqualTo(dir);
    assertThat(first.getFileName().toString()).matches("worker-\\p{XDigit}{12}\\.aot");
    assertThat(forker.aotCacheFile()).isEqualTo(first);

    // and another one once the jar is rebuilt (the JDK would run the old build's classes from the old cache)
    Files.writeString(jar, "the second build");
    Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    Path rebuilt = forker.aotCacheFile();
    assertThat(rebuilt).isNotEqualTo(first);
    // or the workers' flags change
    JvmForker serial = new JvmForker("java", jar.toString(), 256, 12, dir.resolve("worker.aot"), List.of(), null,
        List.of("-XX:+UseSerialGC"));
    assertThat(serial.aotCacheFile()).isNotIn(first, rebuilt);
    JvmForker smaller = new JvmForker("java", jar.toString(), 128, 12, dir.resolve("worker.aot"), List.of());
    assertThat(smaller.aotCacheFile()).isNotIn(first, rebuilt, serial.aotCacheFile());
  }

  @Test
  void theCachesOfEarlierBuildsAreTheOthersOfItsName() throws Exception {
    // given a run directory with this build's cache, earlier ones, and files that are not caches of it
    Path base = dir.resolve("worker.aot");
    Path current = dir.resolve("worker-00112233aabb.aot");
    for (String name : List.of("worker.aot", "worker-00112233aabb.aot", "worker-ffeeddccbbaa.aot",
        "worker-notes.aot", "worker-00112233aabb.aot.partial", "other.aot", "worker-00112233aabb.txt")) {
      Files.writeString(dir.resolve(name), name);
    }

    // then the others are the cache under its unfingerprinted name, those with another fingerprint and
    // what a build stopped halfway left of them
    assertThat(AotCacheFile.others(base, current, Set.of())).containsExactlyInAnyOrder(dir.resolve("worker.aot"),
        dir.resolve("worker-ffeeddccbbaa.aot"), dir.resolve("worker-00112233aabb.aot.partial"));
    assertThat(AotCacheFile.others(dir.resolve("absent/worker.aot"), current, Set.of())).isEmpty();
    // but not one a running JVM maps (another launcher's), nor a directory of that name
    Files.delete(dir.resolve("worker.aot"));
    Files.createDirectory(dir.resolve("worker.aot"));
    assertThat(AotCacheFile.others(base, current, Set.of(dir.resolve("worker-ffeeddccbbaa.aot").toRealPath().toString())))
        .containsExactly(dir.resolve("worker-00112233aabb.aot.partial"));
  }

  @Test
  void theFilesRunningJvmsMapAreFound() throws Exception {
    // given this JVM, which maps its libjvm.so
    Path libjvm;
    try (var files = Files.walk(Path.of(System.getProperty("java.home"), "lib"))) {
      libjvm = files.filter(f -> f.getFileName().toString().equals("libjvm.so")).findFirst().orElseThrow();
    }

    // then it is among the files mapped in its directory, by its real path; and nothing is in one none maps
    assertThat(AotCacheFile.mappedFilesIn(libjvm.getParent())).contains(libjvm.toRealPath().toString());
    assertThat(AotCacheFile.mappedFilesIn(dir)).isEmpty();
  }

  @Test
  void eachJarOfADirectorysWildcardIsInTheFingerprint() throws Exception {
    // given a class path of a directory's jars, as the java launcher expands "lib/*"
    Path lib = Files.createDirectory(dir.resolve("lib"));
    Path app = Files.writeString(lib.resolve("app.jar"), "the first build");
    String classPath = lib + java.io.File.separator + "*";
    JvmForker forker = new JvmForker("java", classPath, 256, 12, dir.resolve("worker.aot"), List.of());
    Path first = forker.aotCacheFile();

    // when a jar in it is rebuilt, keeping its size and modification time (as cp -p does)
    var modified = Files.getLastModifiedTime(app);
    Files.writeString(app, "the other build");
    Files.setLastModifiedTime(app, modified);

    // then the cache's name changes (by the file's change time)
    assertThat(forker.aotCacheFile()).isNotEqualTo(first);
    // and so it does when a jar is added
    Path second = forker.aotCacheFile();
    Files.writeString(lib.resolve("more.jar"), "x");
    assertThat(forker.aotCacheFile()).isNotIn(first, second);
  }

  @Test
  void theJvmIsAskedAboutTheWorkerFlagsOnlyWhenTheOperatorAddedOptions() throws Exception {
    // given forkers with a java that does not exist, with and without options
    JvmForker plain = new JvmForker("/nonexistent/bin/java", "a.jar", 256, 12, null, List.of());
    JvmForker withOptions = new JvmForker("/nonexistent/bin/java", "a.jar", 256, 12, null, List.of(), null,
        List.of("-XX:+UseSerialGC"));

    // then the launcher's own flags are not checked (no JVM is started), the operator's are
    assertThat(plain.jvmRefusal()).isEmpty();
    assertThatThrownBy(withOptions::jvmRefusal).isInstanceOf(java.io.IOException.class);
    // and with the real java, the options in the worker flags are checked
    String java = ProcessHandle.current().info().command().orElseThrow();
    assertThat(new JvmForker(java, "a.jar", 256, 12, null, List.of(), null, List.of("-XX:+NoSuchTroupeOption"))
        .jvmRefusal()).hasValueSatisfying(said -> assertThat(said).contains("NoSuchTroupeOption"));
  }

  @Test
  void aForkerRefusesAnOptionTheLauncherDecides() {
    assertThatThrownBy(() -> new JvmForker("java", "a.jar", 256, 12, null, List.of(), null, List.of("-Xmx2g")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--worker-heap-mb");
  }
}
