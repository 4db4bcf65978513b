package dev.troupe.launcher.topology;

import dev.troupe.lua.LuaEntryDefinition;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads a topology file. Every mistake is reported with the entry it is in and what to write instead.
 *
 * <pre>
 * version: "1.0"
 * namespace: app
 * entries:
 *   - name: processes
 *     kind: process.host
 *   - name: terminal
 *     kind: terminal.host        # where `troupe run -x` runs a CLI entry; the launcher serves none
 *   - name: worker
 *     kind: process.java
 *     class: dev.troupe.examples.echo.EchoWorker
 *     isolation: jvm             # optional: a worker JVM of its own per process (default: shared)
 *   - name: lua-worker
 *     kind: process.lua          # the tutorial's Lua entries, as written (see LuaEntryDefinition)
 *     source: file://worker.lua
 *     method: main
 *     modules: [process, time]
 *   - name: ticker
 *     kind: process.service
 *     process: app:worker        # the entry to run (default: namespace:name)
 *     host: app:processes
 *     input: [1, "two"]
 *     lifecycle:
 *       auto_start: true
 *       restart: {initial_delay: 1s, jitter: 0.1, max_attempts: 0}
 * </pre>
 */
public final class TopologyLoader {
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  private TopologyLoader() {}

  /** @throws IllegalArgumentException naming the file and the entry at fault */
  public static TopologyFile load(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file)) {
      Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
      try {
        return parse(doc, file.toAbsolutePath().getParent());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
      }
    }
  }

  /** Parses a topology file's content; {@code base} is its folder, where file:// sources are found. */
  @SuppressWarnings("unchecked")
  static TopologyFile parse(Object doc, Path base) {
    if (!(doc instanceof Map<?, ?> root)) {
      throw new IllegalArgumentException("expected a map with 'namespace' and 'entries'");
    }
    String ns = string(root, "namespace", "topology");
    List<String> hosts = new ArrayList<>();
    List<String> terminals = new ArrayList<>();
    Map<String, String> entries = new LinkedHashMap<>();
    List<TopologyFile.Service> services = new ArrayList<>();
    java.util.Set<String> isolated = new java.util.LinkedHashSet<>();
    Object list = root.get("entries");
    if (!(list instanceof List<?> items)) {
      throw new IllegalArgumentException("'entries' must be a list");
    }
    for (Object o : items) {
      if (!(o instanceof Map<?, ?> e)) {
        throw new IllegalArgumentException("each entry must be a map with 'name' and 'kind'");
      }
      String name = string(e, "name", "entry");
      String id = ns + ":" + name;
      String kind = string(e, "kind", id);
      switch (kind) {
        case "process.host" -> hosts.add(id);
        case "terminal.host" -> terminals.add(id);
        case "process.java" -> entry(id, string(e, "class", id), e, entries, isolated);
        case "process.lua" -> entry(id, luaEntry(id, e, base), e, entries, isolated);
        case "process.service" -> services.add(service(id, ns, (Map<String, Object>) e));
        default -> throw new IllegalArgumentException(id + ": unknown kind '" + kind
            + "'; use process.host, terminal.host, process.java, process.lua or process.service");
      }
    }
    for (TopologyFile.Service s : services) {
      if (!entries.containsKey(s.process())) {
        throw new IllegalArgumentException(s.id() + ": process '" + s.process()
            + "' is not a process.java or process.lua entry of this topology");
      }
    }
    return new TopologyFile(hosts, terminals, entries, services, isolated);
  }

  /** An entry worker JVMs run: what they are told of it, and whether it wants a JVM of its own. */
  private static void entry(String id, String what, Map<?, ?> e, Map<String, String> entries, java.util.Set<String> isolated) {
    entries.put(id, what);
    if (isolatedJvm(e, id)) {
      isolated.add(id);
    }
  }

  /** A Lua entry, compiled here so that a mistake in its source stops the launcher at once, saying where. */
  private static String luaEntry(String id, Map<?, ?> e, Path base) {
    LuaEntryDefinition lua = LuaEntryDefinition.parse(id, e, base);
    try {
      lua.compile();
    } catch (IOException ex) {
      throw new IllegalArgumentException(id + ": cannot read " + lua.source() + ": " + ex.getMessage(), ex);
    }
    return lua.toArgument();
  }

  /** {@code isolation: jvm} gives each process of the entry a JVM of its own; {@code shared} (the default) does not. */
  private static boolean isolatedJvm(Map<?, ?> e, String id) {
    Object v = e.get("isolation");
    if (v == null || "shared".equals(v)) {
      return false;
    }
    if ("jvm".equals(v)) {
      return true;
    }
    throw new IllegalArgumentException(id + ": isolation '" + v + "' is not known; use 'jvm' (a worker JVM"
        + " of its own per process) or 'shared' (the default)");
  }

  @SuppressWarnings("unchecked")
  private static TopologyFile.Service service(String id, String ns, Map<String, Object> e) {
    String process = e.containsKey("process") ? string(e, "process", id) : ns + ":" + e.get("name");
    String host = string(e, "host", id);
    Object in = e.getOrDefault("input", List.of());
    if (!(in instanceof List<?> input)) {
      throw new IllegalArgumentException(id + ": 'input' must be a list of arguments");
    }
    Map<String, Object> life = (Map<String, Object>) e.getOrDefault("lifecycle", Map.of());
    Map<String, Object> restart = (Map<String, Object>) life.getOrDefault("restart", Map.of());
    boolean autoStart = Boolean.TRUE.equals(life.get("auto_start"));
    // As in the original, a value of 0 means "the default".
    Duration delay = duration(restart.get("initial_delay"), Duration.ofSeconds(1), id);
    double jitter = restart.get("jitter") instanceof Number n && n.doubleValue() > 0 ? n.doubleValue() : 0.1;
    int max = restart.get("max_attempts") instanceof Number n ? n.intValue() : 0;
    return new TopologyFile.Service(id, process, host, List.copyOf((List<Object>) input), autoStart, delay,
        jitter, max);
  }

  private static String string(Map<?, ?> m, String key, String where) {
    Object v = m.get(key);
    if (!(v instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(where + ": '" + key + "' is required and must be a string");
    }
    return s;
  }

  static Duration duration(Object v, Duration dflt, String where) {
    if (v == null || (v instanceof Number n && n.longValue() == 0)) {
      return dflt;
    }
    if (v instanceof Number n) {
      return Duration.ofNanos(n.longValue()); // a number is nanoseconds, as in the original
    }
    Matcher m = DURATION.matcher(v.toString().trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(where + ": duration '" + v + "' must look like 100ms, 2s, 5m or 1h");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }
}
