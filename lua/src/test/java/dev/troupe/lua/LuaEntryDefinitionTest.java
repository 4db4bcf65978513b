package dev.troupe.lua;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process.lua entry as the tutorial writes it, and as worker JVMs receive it. */
class LuaEntryDefinitionTest {
  @TempDir
  Path dir;

  @Test
  void readsTheTutorialsFormRelativeToTheIndexAndRoundTripsAsAnArgument() throws Exception {
    Files.writeString(dir.resolve("worker.lua"), "return { main = function() end }");

    LuaEntryDefinition d = LuaEntryDefinition.parse("app:worker",
        Map.of("source", "file://worker.lua", "method", "main", "modules", List.of("process", "time")), dir);

    assertThat(d.source()).isEqualTo(dir.resolve("worker.lua").toAbsolutePath().normalize());
    assertThat(d.modules()).containsExactly("process", "time");
    assertThat(LuaEntryDefinition.fromArgument("app:worker", d.toArgument())).isEqualTo(d);
    assertThat(d.compile().method()).isEqualTo("main");
  }

  @Test
  void mistakesNameTheEntryAndWhatToWrite() {
    assertThatThrownBy(() -> LuaEntryDefinition.parse("app:x", Map.of("source", "worker.lua"), dir))
        .hasMessageContaining("app:x").hasMessageContaining("file://");
    assertThatThrownBy(() -> LuaEntryDefinition.parse("app:x", Map.of("source", "file://none.lua"), dir))
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> new LuaEntryDefinition("app:x", dir, "main", List.of("os")))
        .hasMessageContaining("module 'os'").hasMessageContaining("process");
    assertThatThrownBy(() -> LuaEntryDefinition.fromArgument("app:x", "com.example.Worker"))
        .hasMessageContaining("lua:METHOD");
  }
}
