package dev.troupe.lua;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.ProcessEntry;
import dev.troupe.api.TroupeException;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A {@code process.lua} entry as the tutorial's {@code _index.yaml} declares it:
 *
 * <pre>
 *   - name: worker
 *     kind: process.lua
 *     source: file://worker.lua     # relative to the _index.yaml's folder, or file:///an/absolute/path
 *     method: main
 *     modules: [process, time]
 * </pre>
 *
 * <p>Worker JVMs get it on their command line as {@link #toArgument()}: {@code lua:METHOD;MODULES;PATH}.
 *
 * @param source the Lua file, absolute
 */
public record LuaEntryDefinition(String id, Path source, String method, List<String> modules) {
  /** What starts a Lua entry's argument (a Java entry's is a class name, which has no colon). */
  public static final String ARGUMENT_PREFIX = "lua:";

  public LuaEntryDefinition {
    modules = List.copyOf(modules);
    LuaModules.checkKnown(id, modules);
  }

  /**
   * Reads the entry's map from a topology file in folder {@code base}.
   *
   * @throws IllegalArgumentException naming the entry and what to write instead
   */
  public static LuaEntryDefinition parse(String id, Map<?, ?> entry, Path base) {
    Object src = entry.get("source");
    if (!(src instanceof String s) || !s.startsWith("file://")) {
      throw new IllegalArgumentException(id + ": 'source' is required and must be file://NAME.lua (relative to "
          + base + ") or file:///absolute/path.lua");
    }
    Path source = s.startsWith("file:///") ? Path.of(URI.create(s)) : base.resolve(s.substring("file://".length()));
    if (!Files.isRegularFile(source)) {
      throw new IllegalArgumentException(id + ": source " + source.toAbsolutePath().normalize() + " does not exist");
    }
    Object method = entry.get("method");
    if (method != null && !(method instanceof String)) {
      throw new IllegalArgumentException(id + ": 'method' must be the name of a function, e.g. main");
    }
    Object mods = entry.get("modules");
    List<String> modules = new ArrayList<>();
    if (mods != null) {
      if (!(mods instanceof List<?> list)) {
        throw new IllegalArgumentException(id + ": 'modules' must be a list, e.g. [process, time]");
      }
      for (Object m : list) {
        modules.add(String.valueOf(m));
      }
    }
    return new LuaEntryDefinition(id, source.toAbsolutePath().normalize(), method == null ? "main" : (String) method,
        modules);
  }

  /** Reads and compiles the source. */
  public LuaScript compile() throws IOException {
    return LuaScript.load(id, source, method, modules);
  }

  /**
   * The entry for a catalog of a process host: the source is read and compiled at the first spawn, once
   * for the JVM; a source that has become unreadable or invalid fails that spawn with FAILED_PRECONDITION.
   */
  public Supplier<ProcessEntry> processHostEntry() {
    return new Supplier<>() {
      private volatile LuaEntry entry;

      @Override
      public ProcessEntry get() {
        LuaEntry e = entry;
        if (e == null) {
          synchronized (this) {
            if (entry == null) {
              try {
                entry = new LuaEntry(compile(), null);
              } catch (IOException | IllegalArgumentException ex) {
                throw new TroupeException(ErrorCode.FAILED_PRECONDITION, id + ": cannot load " + source + ": " + ex.getMessage());
              }
            }
            e = entry;
          }
        }
        return e;
      }
    };
  }

  public String toArgument() {
    return ARGUMENT_PREFIX + method + ";" + String.join(",", modules) + ";" + source;
  }

  public static boolean isArgument(String value) {
    return value.startsWith(ARGUMENT_PREFIX);
  }

  /** The inverse of {@link #toArgument()}. */
  public static LuaEntryDefinition fromArgument(String id, String value) {
    String[] parts = isArgument(value) ? value.substring(ARGUMENT_PREFIX.length()).split(";", 3) : new String[0];
    if (parts.length != 3) {
      throw new IllegalArgumentException(id + ": a Lua entry's argument is lua:METHOD;MODULE,...;PATH, got " + value);
    }
    List<String> modules = parts[1].isEmpty() ? List.of() : List.of(parts[1].split(","));
    return new LuaEntryDefinition(id, Path.of(parts[2]), parts[0], modules);
  }

  /**
   * The {@code process.lua} entries of a topology file, by id: for a program that runs one of them
   * itself (the terminal's CLI) without the rest of the topology.
   */
  public static Map<String, LuaEntryDefinition> readAll(Path topologyFile) throws IOException {
    Object doc;
    try (Reader r = Files.newBufferedReader(topologyFile)) {
      doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
    }
    Map<String, LuaEntryDefinition> out = new LinkedHashMap<>();
    if (doc instanceof Map<?, ?> root && root.get("entries") instanceof List<?> entries) {
      Object ns = root.get("namespace");
      for (Object o : entries) {
        if (o instanceof Map<?, ?> e && "process.lua".equals(e.get("kind"))) {
          String id = ns + ":" + e.get("name");
          out.put(id, parse(id, e, topologyFile.toAbsolutePath().getParent()));
        }
      }
    }
    return out;
  }
}
