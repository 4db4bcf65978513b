package dev.troupe.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The domain core stays free of gRPC: only the adapters in {@code grpc/} may import io.grpc. */
class ArchitectureTest {
  private static final Path ROOT = Path.of("src/main/java/dev/troupe/runtime");
  private static final List<String> CORE = List.of("node", "registry", "process");
  private static final Pattern GRPC_IMPORT =
      Pattern.compile("^\\s*import\\s+(static\\s+)?io\\.grpc\\.", Pattern.MULTILINE);

  @Test
  void shouldKeepTheDomainCoreFreeOfGrpcImports() throws IOException {
    // given
    assertThat(ROOT).as("run from the runtime module directory").isDirectory();
    List<Path> sources = new ArrayList<>();
    for (String pkg : CORE) {
      try (Stream<Path> files = Files.walk(ROOT.resolve(pkg))) {
        files.filter(f -> f.toString().endsWith(".java")).forEach(sources::add);
      }
    }
    assertThat(sources).as("core sources found").hasSizeGreaterThan(20);

    // when
    List<String> offenders = new ArrayList<>();
    for (Path f : sources) {
      String text = Files.readString(f);
      if (GRPC_IMPORT.matcher(text).find() || text.contains("io.grpc.")) {
        offenders.add(ROOT.relativize(f).toString());
      }
    }

    // then
    assertThat(offenders).as("core files that use io.grpc (move that code to grpc/)").isEmpty();
  }

  @Test
  void shouldFindGrpcOnlyInTheAdapters() throws IOException {
    // The check above would pass vacuously if nothing used gRPC at all: the adapters do.
    try (Stream<Path> files = Files.walk(ROOT.resolve("grpc"))) {
      assertThat(files.filter(f -> f.toString().endsWith(".java")).anyMatch(f -> {
        try {
          return GRPC_IMPORT.matcher(Files.readString(f)).find();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      })).isTrue();
    }
  }
}
