package dev.troupe.launcher.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

class TopologyLoaderTest {
  private static TopologyFile parse(String yaml) {
    return TopologyLoader.parse(new Yaml().load(yaml), java.nio.file.Path.of("."));
  }

  @Test
  void readsHostsEntriesAndServicesWithTheOriginalsDefaults() {
    TopologyFile t = parse("""
        namespace: app
        entries:
          - {name: processes, kind: process.host}
          - {name: worker, kind: process.java, class: com.example.Worker}
          - name: svc
            kind: process.service
            process: app:worker
            host: app:processes
            input: [1, two]
            lifecycle: {auto_start: true, restart: {initial_delay: 250ms, jitter: 0}}
        """);

    assertThat(t.hosts()).containsExactly("app:processes");
    assertThat(t.entries()).isEqualTo(Map.of("app:worker", "com.example.Worker"));
    TopologyFile.Service s = t.services().get(0);
    assertThat(s.id()).isEqualTo("app:svc");
    assertThat(s.input()).isEqualTo(List.of(1, "two"));
    assertThat(s.autoStart()).isTrue();
    assertThat(s.restartDelay()).isEqualTo(Duration.ofMillis(250));
    assertThat(s.jitter()).as("0 means the default, as in the original").isEqualTo(0.1);
  }

  @Test
  void namesTheEntryAtFault() {
    assertThatThrownBy(() -> parse("""
        namespace: app
        entries:
          - {name: x, kind: process.cobol}
        """)).hasMessageContaining("app:x").hasMessageContaining("unknown kind");
    assertThatThrownBy(() -> parse("""
        namespace: app
        entries:
          - {name: x, kind: process.lua, source: "file://nowhere.lua"}
        """)).hasMessageContaining("app:x").hasMessageContaining("nowhere.lua").hasMessageContaining("does not exist");
    assertThatThrownBy(() -> parse("""
        namespace: app
        entries:
          - {name: s, kind: process.service, process: app:missing, host: app:processes}
        """)).hasMessageContaining("app:s").hasMessageContaining("app:missing");
    assertThatThrownBy(() -> parse("""
        namespace: app
        entries:
          - {name: w, kind: process.java, class: X}
          - name: s
            kind: process.service
            process: app:w
            host: app:processes
            lifecycle: {restart: {initial_delay: soon}}
        """)).hasMessageContaining("app:s").hasMessageContaining("100ms");
  }

  @Test
  void anEntryDeclaredIsolationJvmIsIsolatedAndOthersShare() {
    TopologyFile t = parse("""
        namespace: app
        entries:
          - {name: processes, kind: process.host}
          - {name: worker, kind: process.java, class: com.example.Worker}
          - {name: legacy, kind: process.java, class: com.example.Legacy, isolation: jvm}
          - {name: plain, kind: process.java, class: com.example.Plain, isolation: shared}
        """);

    assertThat(t.isolated()).containsExactly("app:legacy");
    assertThatThrownBy(() -> parse("""
        namespace: app
        entries:
          - {name: x, kind: process.java, class: X, isolation: process}
        """)).hasMessageContaining("app:x").hasMessageContaining("'jvm'").hasMessageContaining("'shared'");
  }

  @Test
  void readsTheTutorialsIndexAsWritten() throws Exception {
    TopologyFile t = TopologyLoader.load(java.nio.file.Path.of("../examples/echo-lua/src/_index.yaml"));

    assertThat(t.hosts()).containsExactly("app:processes");
    assertThat(t.terminals()).containsExactly("app:terminal");
    assertThat(t.entries()).containsOnlyKeys("app:cli", "app:relay", "app:worker");
    var worker = dev.troupe.lua.LuaEntryDefinition.fromArgument("app:worker", t.entries().get("app:worker"));
    assertThat(worker.source()).isEqualTo(java.nio.file.Path.of("../examples/echo-lua/src/worker.lua").toAbsolutePath().normalize());
    assertThat(worker.method()).isEqualTo("main");
    assertThat(worker.modules()).containsExactly("process", "time");
    assertThat(t.services()).singleElement().satisfies(s -> {
      assertThat(s.process()).isEqualTo("app:relay");
      assertThat(s.host()).isEqualTo("app:processes");
      assertThat(s.autoStart()).isTrue();
    });
  }

  @Test
  void aLuaEntryThatDoesNotCompileStopsTheLoadNamingTheLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Files.writeString(dir.resolve("bad.lua"), "local x = \nreturn { main = function() end }\nend end\n");
    java.nio.file.Files.writeString(dir.resolve("_index.yaml"), """
        namespace: app
        entries:
          - {name: bad, kind: process.lua, source: "file://bad.lua", method: main, modules: [process]}
        """);

    assertThatThrownBy(() -> TopologyLoader.load(dir.resolve("_index.yaml")))
        .hasMessageContaining("app:bad").hasMessageContaining("bad.lua").hasMessageContaining("does not compile");
  }
}
