package dev.troupe.launcher.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Forks worker JVMs with the flags of small, short-lived JVMs and, when present, the AOT cache.
 *
 * @param javaBin the java executable (the launcher's own by default)
 * @param classPath jars only: a directory on the class path silently disables the AOT cache
 * @param heapMb -Xmx of each worker
 * @param carrierThreads the most virtual-thread carriers a worker may run: how many of its processes
 *     can run code at the same instant. Virtual threads are not preempted, so a process looping on the
 *     CPU holds its carrier: with more carriers than cores, up to {@code carrierThreads - 1} such
 *     processes leave the others running (time-sliced by the OS), where the JDK's default (one per
 *     core) would let two of them stall a 2-core JVM. A worker starts with one per core and grows
 *     toward this only while its carriers are held ({@code CarrierGovernor}, JDK 24+); on older JDKs
 *     it runs with all of them from the start
 * @param aotCache the AOT cache's name (JDK 25 JEP 483/514): the file is this name with a fingerprint of what
 *     it is built from ({@link #aotCacheFile}), used when it exists; null for none
 * @param workerArgs what every worker is told (see {@code WorkerMain}): the registry, its host and
 *     owner, its limits, the entries it can run and which of them are isolated
 * @param memberKey the key this launcher announced to the registry; each worker JVM is given the
 *     member token made with it for its name (NodeCredentials) on its standard input, which no other
 *     program can read (a command line or environment can be read by others through /proc). Null:
 *     none (a worker JVM then cannot join a registry as a member)
 * @param jvmOptions the operator's options for every worker JVM and the AOT cache's training run,
 *     after the launcher's own flags ({@link WorkerJvmOptions}: checked here)
 */
public record JvmForker(String javaBin, String classPath, int heapMb, int carrierThreads, Path aotCache,
    List<String> workerArgs, byte[] memberKey, List<String> jvmOptions) implements WorkerForker {

  public JvmForker {
    jvmOptions = WorkerJvmOptions.checked(jvmOptions);
  }

  /** A forker with the launcher's flags alone. */
  public JvmForker(String javaBin, String classPath, int heapMb, int carrierThreads, Path aotCache,
      List<String> workerArgs, byte[] memberKey) {
    this(javaBin, classPath, heapMb, carrierThreads, aotCache, workerArgs, memberKey, List.of());
  }

  /** The worker flag that makes it read its member token from standard input. */
  public static final String TOKEN_FROM_STDIN = "--member-token-stdin";

  /** A forker without a member key: for the AOT build and tests that never join a registry. */
  public JvmForker(String javaBin, String classPath, int heapMb, int carrierThreads, Path aotCache,
      List<String> workerArgs) {
    this(javaBin, classPath, heapMb, carrierThreads, aotCache, workerArgs, null);
  }

  /** Room for {@link PoolSettings#DEFAULT_MAX_PROCESSES_PER_JVM} idle processes and their messages. */
  public static final int DEFAULT_HEAP_MB = 256;
  /** Four per core, at least 8: see {@code carrierThreads}. */
  public static final int DEFAULT_CARRIER_THREADS = Math.max(8, 4 * PoolSettings.CORES);
  /**
   * The most the young generation may grow to, with survivor spaces of a sixth of it each
   * (-XX:SurvivorRatio=4). The processes of a busy worker JVM live for tens or hundreds of ms and should
   * die young. In the default young generation (a third of a small heap) they were promoted, and the old
   * generation grew toward -Xmx before it was collected: under the tutorial's load each worker JVM's RSS
   * went to 200-320 MB; with this bound 103-109 MB (BENCHMARKS.md, "Young generations").
   */
  public static final int YOUNG_GEN_MB = 40;
  /** The smallest -Xmx a worker JVM is given: its first heap (-Xms8m) plus room to grow. */
  public static final int MIN_HEAP_MB = 32;
  /** How often a JVM gives memory that malloc holds free back to the OS (-XX:TrimNativeHeapInterval). */
  public static final int TRIM_NATIVE_HEAP_INTERVAL_MS = 1000;
  public static final String WORKER_MAIN = "dev.troupe.launcher.worker.WorkerMain";

  /** The flags every worker JVM (and the AOT training run) starts with: the launcher's, then the operator's. */
  public List<String> jvmFlags() {
    return WorkerJvmOptions.after(launcherFlags(), jvmOptions);
  }

  /**
   * What the JVM says of the worker flags with the operator's options, if it refuses them
   * ({@link WorkerJvmOptions#refusedByTheJvm}); nothing to ask when there are none (the launcher's own
   * are known to be taken).
   */
  public Optional<String> jvmRefusal() throws IOException, InterruptedException {
    return jvmOptions.isEmpty() ? Optional.empty() : WorkerJvmOptions.refusedByTheJvm(javaBin, jvmFlags());
  }

  /** The launcher's own flags for a worker JVM. */
  private List<String> launcherFlags() {
    int young = Math.max(17, Math.min(YOUNG_GEN_MB, heapMb / 2)); // a small --worker-heap-mb keeps room for the old
    // Both JIT compilers: a worker JVM now serves for minutes or hours, so C2 pays for itself. Measured
    // under the tutorial's load after a 45 s warm-up: 79-85 us of CPU per echo in the worker JVMs
    // against 143-150 us with C1 alone (-XX:TieredStopAtLevel=1, when every process had a JVM of its
    // own and lived for a second), for 56-73 MB more RSS in two JVMs (BENCHMARKS.md, "C2 in worker JVMs").
    // The heap starts at 8 MB and the parallel collector (one GC thread: many JVMs share the cores)
    // sizes its young generation to the allocation rate, between that and YOUNG_GEN_MB: an idle JVM
    // keeps a small one, a busy one grows it. SerialGC only grows it after a full collection, so it
    // either starts big (16 MB: 11 MB more RSS idle) or stays small under load (4 MB: a message flood
    // took 15-25 % more CPU per message). -XX:YoungGenerationSizeSupplement=0: the first collections,
    // during the start, would otherwise grow it by 80 % more than the policy asks for, and an idle JVM
    // never collects to shrink it back (BENCHMARKS.md, "Idle footprint").
    List<String> f = new ArrayList<>(List.of(
        WorkerJvmOptions.DEFAULT_COLLECTOR, "-XX:ParallelGCThreads=1", "-XX:YoungGenerationSizeSupplement=0",
        "-XX:-UsePerfData", "-Xss512k",
        "-Xms8m", "-Xmx" + heapMb + "m", "-XX:MaxNewSize=" + young + "m", "-XX:SurvivorRatio=4",
        "-XX:MaxMetaspaceSize=128m", "-XX:ReservedCodeCacheSize=64m",
        // Processes share the heap: when one exhausts it, an OutOfMemoryError may land in any thread
        // (a timer's, a stream's) and leave the JVM half working. Ending it is clean: its launcher
        // reports every process in it as crashed, and monitors and links see that.
        "-XX:+ExitOnOutOfMemoryError",
        "-Dio.grpc.netty.shaded.io.netty.jfr.enabled=false",
        // Netty samples one buffer in 128 for leaks and records a stack trace for each: the most
        // expensive JVM-runtime function in the worker JVMs' profile under the tutorial's load
        // (BENCHMARKS.md, "Timers and timeouts"). Leaks are looked for in the test suites, which keep it.
        "-Dio.grpc.netty.shaded.io.netty.leakDetection.level=disabled",
        // One pooled-buffer arena instead of one per core-pair: a worker's traffic is light per JVM, and
        // each arena holds its own 2 MB chunks (with MALLOC_ARENA_MAX below: 10 MB less native memory).
        "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1",
        "-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1",
        "-Djdk.virtualThreadScheduler.parallelism=" + firstCarriers(),
        "-Djdk.virtualThreadScheduler.maxPoolSize=" + Math.max(256, carrierThreads),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        // What processes log themselves (a Lua process's logger and print) is the application's output.
        "-Dorg.slf4j.simpleLogger.log.dev.troupe.lua.process=info"));
    if (HUGE_PAGES) {
      // A killed JVM's memory is freed before its sockets close and its launcher can reap it, and
      // freeing 2 MB pages is far cheaper: SIGKILL to reaped of a worker JVM 16 -> 13 ms, of a JVM with
      // a 64 MB heap 15.7 -> 6.0 ms (BENCHMARKS.md, "Carriers and huge pages"). Only where the kernel allows it
      // per mapping (madvise) or everywhere (always); with "never" the JVM would warn at every start.
      f.add("-XX:+UseTransparentHugePages");
    }
    if (Runtime.version().feature() >= 23) {
      // Otherwise every worker start prints warnings about protobuf's and Netty's Unsafe use.
      f.add("--enable-native-access=ALL-UNNAMED");
      f.add("--sun-misc-unsafe-memory-access=allow");
    }
    if (Runtime.version().feature() >= 22) {
      // What the JIT compilers and the start freed to malloc goes back to the OS (JDK 22+; 21 has it
      // only as an experimental flag): 5-7 MB of an idle JVM's RSS (BENCHMARKS.md, "Idle footprint").
      f.add("-XX:TrimNativeHeapInterval=" + TRIM_NATIVE_HEAP_INTERVAL_MS);
    }
    return f;
  }

  /** Carriers a worker starts with: one per core where it can grow them (JDK 24+), else all. */
  int firstCarriers() {
    return Runtime.version().feature() >= 24 ? Math.min(PoolSettings.CORES, carrierThreads) : carrierThreads;
  }

  /** Whether the kernel gives transparent huge pages to a JVM that asks (see {@link #hugePagesMode}). */
  static final boolean HUGE_PAGES = hugePagesMode(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"))
      .map(m -> m.equals("madvise") || m.equals("always")).orElse(false);

  /** The selected mode ("always", "madvise" or "never") in the kernel's THP setting file, if readable. */
  static Optional<String> hugePagesMode(Path setting) {
    try {
      Matcher m = Pattern.compile("\\[(\\w+)]").matcher(Files.readString(setting));
      return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The argument file of each class path this launcher forks with (records hold no other state). */
  private static final java.util.Map<String, Path> CLASS_PATH_FILES = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * {@code @FILE}, a java argument file that holds {@code -cp CLASSPATH}: the worker class path names
   * every jar (the AOT cache needs jars, not a wildcard), which makes a command line of over 4 KB, and
   * the JDK's ProcessHandle.Info then tells nothing of the process (tools and tests find worker JVMs by
   * it), nor does {@code ps} show it whole. One file per launcher, next to the AOT cache or in the
   * temporary directory, deleted when the launcher exits; the same for every worker and for the cache.
   */
  String classPathArgument() throws IOException {
    try {
      return "@" + CLASS_PATH_FILES.computeIfAbsent(classPath + "\n" + aotCache, k -> {
        try {
          Path dir = aotCache != null ? aotCache.toAbsolutePath().getParent() : null;
          Path f = dir != null ? Files.createTempFile(Files.createDirectories(dir), "worker-classpath-", ".args")
              : Files.createTempFile("troupe-worker-classpath-", ".args");
          // Quoted as java's argument files want: a backslash and a quote escaped.
          Files.writeString(f, "-cp \"" + classPath.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n");
          f.toFile().deleteOnExit();
          return f;
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public Process fork(String nodeName, boolean dedicated) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin);
    List<String> flags = jvmFlags();
    cmd.addAll(flags);
    Path cache = aotCacheFile(flags);
    if (cache != null && Files.exists(cache)) {
      cmd.add("-XX:AOTCache=" + cache);
      // Mapped where it was built rather than relocated (the JDK's default, which writes every page of
      // the archive that holds a pointer): 13 MB less private memory per worker JVM, which a killed JVM
      // must free before its death can be seen (BENCHMARKS.md, "exit_kill"). Relocated when the address
      // is taken.
      cmd.add("-XX:+UnlockDiagnosticVMOptions");
      cmd.add("-XX:ArchiveRelocationMode=0");
    }
    cmd.addAll(List.of(classPathArgument(), WORKER_MAIN, "--node-name", nodeName,
        "--parent-pid", Long.toString(ProcessHandle.current().pid()),
        "--carrier-threads", Integer.toString(carrierThreads)));
    cmd.addAll(workerArgs);
    if (dedicated) {
      cmd.add("--dedicated");
    }
    if (memberKey != null) {
      cmd.add(TOKEN_FROM_STDIN);
    }
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("MALLOC_ARENA_MAX", "2"); // glibc's default is 8 per core, each a heap of its own
    Process p = pb.redirectOutput(ProcessBuilder.Redirect.INHERIT)
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    if (memberKey != null) {
      try (var in = p.getOutputStream()) {
        in.write((java.util.Base64.getEncoder().encodeToString(
            dev.troupe.runtime.registry.NodeCredentials.memberToken(memberKey, nodeName)) + "\n")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      } catch (IOException e) {
        p.destroyForcibly();
        throw e;
      }
    }
    return p;
  }

  /**
   * The AOT cache file for the worker JVMs forked now: {@code aotCache}'s name with a fingerprint of the
   * JDK, the class path's jars and the worker JVM flags ({@link AotCacheFile}), so that a cache built
   * for another build, JDK or options is never used. Null when there is no cache.
   */
  public Path aotCacheFile() {
    return aotCacheFile(jvmFlags());
  }

  /** The same, for the worker flags already made. */
  private Path aotCacheFile(List<String> flags) {
    return aotCache == null ? null : AotCacheFile.of(aotCache, javaBin, classPath, flags);
  }

  /**
   * Builds the AOT cache if it is missing, in a builder JVM ({@link #buildAot}) that is tied to this
   * launcher: the JDK's one-step -XX:AOTCacheOutput forks an assembly JVM that runs none of our code
   * and would outlive a killed launcher, so the two steps (record, create) are run by a JVM that
   * watches the launcher and kills them if it dies. The cache appears complete or not at all.
   *
   * The caches of earlier builds, JDKs or options beside it are deleted first (each is tens of MB).
   *
   * @return the usable cache file afterwards, if any
   */
  public Optional<Path> ensureAotCache() throws IOException, InterruptedException {
    Path cache = aotCacheFile();
    if (cache == null) {
      return Optional.empty();
    }
    if (Files.exists(cache)) {
      return Optional.of(cache);
    }
    Files.createDirectories(cache.toAbsolutePath().getParent());
    Set<String> mapped = AotCacheFile.mappedFilesIn(cache.toAbsolutePath().getParent());
    for (Path stale : AotCacheFile.others(aotCache, cache, mapped)) {
      Files.deleteIfExists(stale);
    }
    Process p = new ProcessBuilder(aotBuilderCommand(cache)).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      if (!p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)) {
        return Optional.empty();
      }
      return p.exitValue() == 0 && Files.exists(cache) ? Optional.of(cache) : Optional.empty();
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly();
      }
    }
  }

  /**
   * The JVM that builds the cache: small itself, it is told what the workers are forked with, the
   * operator's options too, so that the training run loads what they will; it builds into {@code file}.
   */
  List<String> aotBuilderCommand(Path file) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(javaBin, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx64m",
        classPathArgument(), WORKER_MAIN, "--build-aot", file.toString(), "--heap-mb",
        Integer.toString(heapMb), "--carrier-threads", Integer.toString(carrierThreads), "--parent-pid",
        Long.toString(ProcessHandle.current().pid())));
    for (String o : jvmOptions) {
      cmd.add("--jvm-option");
      cmd.add(o);
    }
    return cmd;
  }

  /**
   * The builder JVM's work: a training run that records which classes a worker loads
   * (-XX:AOTMode=record), then the creation of the cache (-XX:AOTMode=create) into a temporary file,
   * renamed to {@code target} when complete. The target is given, not derived from {@code aotCache}:
   * the launcher named it after its own JDK, class path and flags, which are this JVM's workers'.
   * Children are killed and the builder halts if the launcher ends.
   */
  public void buildAot(Path target, long launcherPid) throws IOException, InterruptedException {
    List<Process> children = java.util.Collections.synchronizedList(new ArrayList<>());
    ProcessHandle.of(launcherPid).ifPresentOrElse(h -> h.onExit().thenRun(() -> {
      children.forEach(Process::destroyForcibly);
      Runtime.getRuntime().halt(1);
    }), () -> Runtime.getRuntime().halt(1));
    Path conf = Path.of(target + ".aotconf");
    Path partial = Path.of(target + ".partial");
    try {
      List<String> record = new ArrayList<>(List.of(javaBin));
      record.addAll(jvmFlags());
      record.addAll(List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + conf, classPathArgument(),
          WORKER_MAIN, "--train", "--parent-pid", Long.toString(ProcessHandle.current().pid())));
      List<String> create = new ArrayList<>(List.of(javaBin));
      create.addAll(jvmFlags());
      create.addAll(List.of("-XX:AOTMode=create", "-XX:AOTConfiguration=" + conf,
          "-XX:AOTCache=" + partial, classPathArgument()));
      for (List<String> step : List.of(record, create)) {
        Process p = new ProcessBuilder(step).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        children.add(p);
        if (p.waitFor() != 0) {
          throw new IOException("AOT step failed with exit code " + p.exitValue() + ": " + step);
        }
      }
      Files.move(partial, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(conf);
      Files.deleteIfExists(partial);
    }
  }
}
