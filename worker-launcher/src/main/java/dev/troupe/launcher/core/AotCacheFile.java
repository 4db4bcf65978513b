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
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Names the worker JVMs' AOT cache after what it is built from, so that a cache is used only by the
 * JVMs it was built for. The operator names {@code worker.aot}; the file is {@code worker-<12 hex>.aot},
 * the hex a fingerprint of the JDK (its java binary and its modules image), of every class path entry
 * (path, size, modification and change times; each jar of a {@code dir/*} entry) and of the worker JVM
 * flags. The change time (ctime) is set by the kernel at every write, so a copy that keeps the
 * modification time (cp -p, rsync -a, reproducible builds) is seen too.
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
      for (Path jar : expanded(entry)) {
        line(sha, "cp " + describe(jar));
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
   * Caches beside {@code current} that an earlier build, JDK or set of options left, with what a build
   * stopped halfway left of them ({@code .aotconf}, {@code .partial}): {@code base} itself (as releases
   * before the fingerprint named it) and every {@code base}-name with another fingerprint. Not those a
   * running JVM maps ({@code mapped}): another launcher that shares the directory uses them.
   */
  static List<Path> others(Path base, Path current, Set<String> mapped) throws IOException {
    String name = base.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String leftovers = "(\\.aotconf|\\.partial)?";
    Pattern ours = Pattern.compile("(" + Pattern.quote(name) + "|" + Pattern.quote(dot > 0 ? name.substring(0, dot) : name)
        + "-\\p{XDigit}{" + 2 * FINGERPRINT_BYTES + "}" + Pattern.quote(dot > 0 ? name.substring(dot) : "") + ")"
        + leftovers);
    Path dir = base.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(Files::isRegularFile)
          .filter(f -> !f.getFileName().equals(current.getFileName()))
          .filter(f -> ours.matcher(f.getFileName().toString()).matches())
          .filter(f -> !mapped.contains(realPath(f)))
          .toList();
    }
  }

  /**
   * The files in {@code dir} that running processes of this user map, by their real paths, from
   * /proc/PID/maps (Linux; elsewhere none): a JVM maps its AOT cache for its whole life.
   */
  static Set<String> mappedFilesIn(Path dir) {
    String prefix;
    try {
      prefix = dir.toRealPath() + File.separator;
    } catch (IOException e) {
      return Set.of();
    }
    Set<String> mapped = new java.util.HashSet<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).forEach(p -> {
        try (Stream<String> maps = Files.lines(p.resolve("maps"))) {
          maps.filter(l -> l.indexOf('/') > 0 && l.startsWith(prefix, l.indexOf('/')))
              .forEach(l -> mapped.add(l.substring(l.indexOf('/'))));
        } catch (IOException | java.io.UncheckedIOException e) {
          // gone meanwhile, or another user's
        }
      });
    } catch (IOException e) {
      return Set.of();
    }
    return mapped;
  }

  /** A class path entry's files: each jar of a directory's {@code *}, as the java launcher expands it. */
  private static List<Path> expanded(String entry) {
    if (entry.isEmpty()) {
      return List.of();
    }
    if (entry.equals("*") || entry.endsWith(File.separator + "*")) {
      Path dir = Path.of(entry.substring(0, entry.length() - 1)).toAbsolutePath();
      try (Stream<Path> files = Files.list(dir)) {
        return files.filter(f -> f.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".jar"))
            .sorted().toList();
      } catch (IOException e) {
        return List.of(dir);
      }
    }
    return List.of(Path.of(entry).toAbsolutePath());
  }

  private static String realPath(Path f) {
    try {
      return f.toRealPath().toString();
    } catch (IOException e) {
      return f.toAbsolutePath().toString();
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
      return p + " " + a.size() + " " + a.lastModifiedTime().toInstant() + " " + changed(p);
    } catch (NoSuchFileException e) {
      return p + " missing";
    } catch (IOException e) {
      return p + " unreadable";
    }
  }

  /** The file's change time where the file system tells it (unix:ctime), else nothing. */
  private static String changed(Path p) {
    try {
      return String.valueOf(Files.getAttribute(p, "unix:ctime"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "";
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
