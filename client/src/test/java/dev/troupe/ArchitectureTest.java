package dev.troupe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The client module is what a program that is not a node loads: the process API and the attach
 * client. The API is plain Java (no gRPC, no generated messages), so that a process's code reads the
 * same on a node and in a client; nothing here reaches into the node.
 */
class ArchitectureTest {
  private static final Path ROOT = Path.of("src/main/java/dev/troupe");
  private static final Pattern WIRE_IMPORT = Pattern.compile(
      "^\\s*import\\s+(static\\s+)?(io\\.grpc|dev\\.troupe\\.proto|com\\.google)\\.", Pattern.MULTILINE);

  @Test
  void theProcessApiUsesNeitherGrpcNorTheGeneratedMessages() {
    List<Path> api = sources("api");
    assertThat(api).as("API sources found").hasSizeGreaterThan(20);

    assertThat(api.stream().filter(f -> WIRE_IMPORT.matcher(read(f)).find()).map(ROOT::relativize))
        .as("API files importing io.grpc, the generated messages or protobuf").isEmpty();
  }

  @Test
  void theClientNeverNamesTheNode() {
    assertThat(sources("").stream().filter(f -> read(f).contains("dev.troupe.runtime")).map(ROOT::relativize))
        .as("client files that name the node's packages").isEmpty();
  }

  @Test
  void theNodeIsNotOnTheClientsClassPath() {
    assertThatThrownBy(() -> Class.forName("dev.troupe.runtime.node.Node"))
        .isInstanceOf(ClassNotFoundException.class);
  }

  private static List<Path> sources(String pkg) {
    assertThat(ROOT).as("run from the client module directory").isDirectory();
    try (Stream<Path> files = Files.walk(ROOT.resolve(pkg))) {
      return files.filter(f -> f.toString().endsWith(".java")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
