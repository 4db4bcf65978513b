package dev.troupe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.jline.nativ.JLineNativeLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JLine's native library comes from Troupe's cache, never a new copy in the temp directory. */
class JLineNativeCacheTest {

  private static long filesUnder(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  @Test
  void jlineLoadsItsLibraryFromTheCacheAndPutsNothingInItsTempDirectory(@TempDir Path cache, @TempDir Path tmp)
      throws IOException {
    // given: JLine's temp directory (java.io.tmpdir unless jline.tmpdir is set), empty
    System.setProperty("jline.tmpdir", tmp.toString());

    // when: installed twice (two CLI starts), then JLine loads its library
    Path root = JLineNativeCache.install(cache).orElseThrow();
    JLineNativeCache.install(cache);
    boolean loaded = JLineNativeLoader.initialize();

    // then: one copy in the cache, loaded from there; nothing in the temp directory
    assertThat(loaded).isTrue();
    assertThat(JLineNativeLoader.getNativeLibraryPath()).startsWith(root.toString());
    assertThat(filesUnder(cache)).isEqualTo(1);
    assertThat(filesUnder(tmp)).as("files JLine left in its temp directory").isZero();
  }

  @Test
  void theCacheDirectoryIsTroupesOwnThenXdgsThenTheHomes() {
    assertThat(JLineNativeCache.defaultCacheDir(Map.of("TROUPE_CACHE_DIR", "/c/t", "XDG_CACHE_HOME", "/x"), "/h"))
        .isEqualTo(Path.of("/c/t"));
    assertThat(JLineNativeCache.defaultCacheDir(Map.of("XDG_CACHE_HOME", "/x"), "/h")).isEqualTo(Path.of("/x/troupe"));
    assertThat(JLineNativeCache.defaultCacheDir(Map.of(), "/h")).isEqualTo(Path.of("/h/.cache/troupe"));
  }
}
