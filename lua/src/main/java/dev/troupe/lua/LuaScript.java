package dev.troupe.lua;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.compiler.LuaC;

/**
 * A {@code process.lua} entry, compiled once per JVM: its source, the function its processes start in,
 * and the modules they may load. Every process of the entry runs the same {@link Prototype}, which is
 * immutable, in a state of its own.
 *
 * @param id the entry's id, e.g. {@code app:worker}
 * @param chunkName the name errors and tracebacks give the source, e.g. {@code worker.lua}
 * @param prototype the compiled chunk: when run it returns a table holding {@code method}
 * @param method the function of that table a process runs, e.g. {@code main}
 * @param modules what the entry lists under {@code modules:}, each one of {@link LuaModules#NAMES}
 */
public record LuaScript(String id, String chunkName, Prototype prototype, String method, List<String> modules) {

  public LuaScript {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(prototype, "prototype");
    modules = List.copyOf(modules);
    LuaModules.checkKnown(id, modules);
    if (method == null || method.isBlank()) {
      throw new IllegalArgumentException(id + ": 'method' must name the function the process starts in, e.g. main");
    }
  }

  /**
   * Compiles {@code source}.
   *
   * @throws IllegalArgumentException naming the entry and the line when the source does not compile,
   *     or when a module is unknown
   */
  public static LuaScript compile(String id, String chunkName, String source, String method, List<String> modules) {
    try {
      Prototype p = LuaC.instance.compile(new ByteArrayInputStream(source.getBytes(StandardCharsets.UTF_8)), chunkName);
      return new LuaScript(id, chunkName, p, method, modules);
    } catch (LuaError e) {
      throw new IllegalArgumentException(id + ": " + chunkName + " does not compile: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(id + ": cannot read " + chunkName + ": " + e.getMessage(), e);
    }
  }

  /** Reads and compiles the file {@code source}. */
  public static LuaScript load(String id, Path source, String method, List<String> modules) throws IOException {
    return compile(id, source.getFileName().toString(), Files.readString(source, StandardCharsets.UTF_8), method,
        modules);
  }
}
