package dev.troupe.launcher.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Forks worker JVMs with the flags of small, short-lived JVMs and, when present, the AOT cache.
 *
 * @param javaBin the java executable (the launcher's own by default)
 * @param classPath jars only: a directory on the class path silently disables the AOT cache
 * @param heapMb -Xmx of each worker
 * @param aotCache the AOT cache file (JDK 25 JEP 483/514), used when it exists; null for none
 * @param launcherAddress where workers attach
 * @param entries ID=CLASS specs passed to each worker
 */
public record JvmForker(String javaBin, String classPath, int heapMb, Path aotCache,
    String launcherAddress, List<String> entries) implements WorkerForker {

  public static final int DEFAULT_HEAP_MB = 64;
  public static final String WORKER_MAIN = "dev.troupe.launcher.worker.WorkerMain";

  /** The flags every worker JVM (and the AOT training run) starts with. */
  public List<String> jvmFlags() {
    List<String> f = new ArrayList<>(List.of(
        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xss512k",
        "-Xms16m", "-Xmx" + heapMb + "m", "-XX:MaxMetaspaceSize=128m", "-XX:ReservedCodeCacheSize=32m",
        "-Dio.grpc.netty.shaded.io.netty.jfr.enabled=false",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
    if (Runtime.version().feature() >= 23) {
      // Otherwise every worker start prints warnings about protobuf's and Netty's Unsafe use.
      f.add("--enable-native-access=ALL-UNNAMED");
      f.add("--sun-misc-unsafe-memory-access=allow");
    }
    return f;
  }

  @Override
  public Process fork(String workerId) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin);
    cmd.addAll(jvmFlags());
    if (aotCache != null && Files.exists(aotCache)) {
      cmd.add("-XX:AOTCache=" + aotCache);
    }
    cmd.addAll(List.of("-cp", classPath, WORKER_MAIN, "--launcher", launcherAddress,
        "--worker-id", workerId, "--parent-pid", Long.toString(ProcessHandle.current().pid())));
    for (String e : entries) {
      cmd.add("--entry");
      cmd.add(e);
    }
    return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.INHERIT)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /**
   * Builds the AOT cache with a training run if it is missing (JDK 25: -XX:AOTCacheOutput records
   * and writes the cache in one step). Takes a second or two, once.
   *
   * @return whether a usable cache file exists afterwards
   */
  public boolean ensureAotCache() throws IOException, InterruptedException {
    if (aotCache == null) {
      return false;
    }
    if (Files.exists(aotCache)) {
      return true;
    }
    Files.createDirectories(aotCache.toAbsolutePath().getParent());
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin);
    cmd.addAll(jvmFlags());
    cmd.add("-XX:AOTCacheOutput=" + aotCache);
    cmd.addAll(List.of("-cp", classPath, WORKER_MAIN, "--train"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return false;
    }
    return p.exitValue() == 0 && Files.exists(aotCache);
  }
}
