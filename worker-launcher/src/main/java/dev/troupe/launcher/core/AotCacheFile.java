package dev.troupe.launcher.core;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Names the worker JVMs' AOT cache after what it is built from, so that a cache is used only by the
 * JVMs it was built for. The operator names {@code worker.aot}; the file is {@code worker-<12 hex>.aot},
 * the hex a fingerprint of the JDK (its java binary and its modules image), of every class path entry
 * (path, size, modification time) and of the worker JVM flags.
 *
 * <p>Why: a cache outlives the build that made it (it sits in the run directory), and JDK 25.0.3 does
 * not check that the jars it was built from are unchanged (JDK-8377932, fixed in 25.0.4): a worker JVM
 * of a new build would run the old build's classes from the cache, mixed with the new build's others.
 * A cache trained without the operator's options, or for another collector, would be refused by the JVM
 * or fit it poorly. With the fingerprint in its name such a cache is simply not found: a new one is
 * built, and until then workers run without one.
 */
final class AotCacheFile {
  private static final int FINGERPRINT_BYTES = 6;

  private AotCacheFile() {}

  /**
   * The file for these inputs: {@code base}'s name with the fingerprint before its extension.
   * Read at each fork: a jar replaced under a running launcher is noticed at the next one.
   */
  static Path of(Path base, String javaBin, String classPath, List<String> jvmFlags) {
    MessageDigest sha = sha256();
    line(sha, "jdk " + describe(jdkModules(javaBin)) + " " + javaBin);
    for (String entry : classPath.split(Pattern.quote(File.pathSeparator))) {
      if (!entry.isEmpty()) {
        line(sha, "cp " + describe(Path.of(entry).toAbsolutePath()));
      }
    }
    for (String flag : jvmFlags) {
      line(sha, "flag " + flag);
    }
    String hex = HexFormat.of().formatHex(sha.digest(), 0, FINGERPRINT_BYTES);
    String name = base.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String named = dot > 0 ? name.substring(0, dot) + "-" + hex + name.substring(dot) : name + "-" + hex;
    return base.resolveSibling(named);
  }

  /**
   * Caches beside {@code current} that an earlier build, JDK or set of options left: {@code base}
   * itself (as releases before the fingerprint named it) and every {@code base}-name with another
   * fingerprint. JVMs that mapped one keep their mapping when it is deleted.
   */
  static List<Path> others(Path base, Path current) throws IOException {
    String name = base.getFileName().toString();
    int dot = name.lastIndexOf('.');
    Pattern fingerprinted = Pattern.compile(Pattern.quote(dot > 0 ? name.substring(0, dot) : name) + "-\\p{XDigit}{"
        + 2 * FINGERPRINT_BYTES + "}" + Pattern.quote(dot > 0 ? name.substring(dot) : ""));
    Path dir = base.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> !f.getFileName().equals(current.getFileName()))
          .filter(f -> f.getFileName().toString().equals(name) || fingerprinted.matcher(f.getFileName().toString()).matches())
          .toList();
    }
  }

  /** The JDK's modules image beside {@code javaBin} (bin/java), which a JDK update replaces. */
  private static Path jdkModules(String javaBin) {
    try {
      Path home = Path.of(javaBin).toRealPath().getParent().getParent();
      return home.resolve("lib").resolve("modules");
    } catch (IOException | RuntimeException e) { // "java" from the PATH, as tests give it
      return Path.of(javaBin);
    }
  }

  private static String describe(Path p) {
    try {
      BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
      return p + " " + a.size() + " " + a.lastModifiedTime().toInstant();
    } catch (NoSuchFileException e) {
      return p + " missing";
    } catch (IOException e) {
      return p + " unreadable";
    }
  }

  private static void line(MessageDigest sha, String s) {
    sha.update((s + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
