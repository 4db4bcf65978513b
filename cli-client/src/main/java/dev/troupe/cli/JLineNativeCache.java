package dev.troupe.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.jline.nativ.JLineNativeLoader;
import org.jline.nativ.OSInfo;

/**
 * Keeps JLine's native library in Troupe's cache directory. Left alone, JLine copies it into
 * {@code java.io.tmpdir} under a new random name at every start ({@code jlinenative-*.so} and its
 * {@code .lck}) and deletes the copy only at a normal JVM exit, which the CLI never has (it halts: a
 * JVM that used gRPC lingers). So one copy per start piled up in /tmp. Here the library is copied once
 * per JLine version to {@code <cache>/jline-native/<version>/<os>/<arch>/}, and JLine loads it from
 * there ({@value #PATH_PROPERTY}).
 */
final class JLineNativeCache {
  /** JLine's system property: a directory holding {@code <os>/<arch>/<library>} to load first. */
  static final String PATH_PROPERTY = "library.jline.path";
  /** Environment variable naming Troupe's cache directory. */
  static final String CACHE_DIR_ENV = "TROUPE_CACHE_DIR";

  private JLineNativeCache() {}

  /** {@code $TROUPE_CACHE_DIR}, else {@code $XDG_CACHE_HOME/troupe}, else {@code ~/.cache/troupe}. */
  static Path defaultCacheDir(Map<String, String> env, String userHome) {
    String own = env.get(CACHE_DIR_ENV);
    if (own != null && !own.isBlank()) {
      return Path.of(own);
    }
    String xdg = env.get("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "troupe");
    }
    return Path.of(userHome, ".cache", "troupe");
  }

  /**
   * Puts the library for this platform under {@code cacheDir} (unless an identical copy is there) and
   * points JLine at it. Call before the first terminal is built.
   *
   * @return the directory JLine now loads from; empty when JLine has no library for this platform or
   *     the cache cannot be written (JLine then does as it did before)
   */
  static Optional<Path> install(Path cacheDir) {
    String folder = OSInfo.getNativeLibFolderPathForCurrentOS();
    String name = System.mapLibraryName("jlinenative").replace(".dylib", ".jnilib"); // JLine's names
    String resource = "/org/jline/nativ/" + folder + "/" + name;
    Path root = cacheDir.resolve("jline-native").resolve(JLineNativeLoader.getVersion());
    Path target = root.resolve(folder).resolve(name);
    try (InputStream in = JLineNativeLoader.class.getResourceAsStream(resource)) {
      if (in == null) {
        return Optional.empty();
      }
      byte[] library = in.readAllBytes();
      if (!Files.isRegularFile(target) || !Arrays.equals(Files.readAllBytes(target), library)) {
        Files.createDirectories(target.getParent());
        // Written aside, then moved in one step: CLIs starting together never load a half-written file.
        Path part = Files.createTempFile(target.getParent(), name, ".part");
        try {
          Files.write(part, library);
          Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
          Files.deleteIfExists(part);
        }
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    System.setProperty(PATH_PROPERTY, root.toString());
    return Optional.of(root);
  }
}
