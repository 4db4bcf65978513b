package dev.troupe.systemtests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The tutorial's project, taken out of its text as a reader copies it: {@code src/_index.yaml},
 * {@code relay.lua}, {@code worker.lua} and {@code cli.lua} from the Echo tutorial in
 * {@code ../shared/seeds/002_*.txt}. The text has no code fences: a file starts after the line that
 * names it ({@code ... src/relay.lua}); a Lua file ends at its {@code return { main = main }}, the YAML
 * at the first line that is neither indented nor a top-level key.
 */
final class TutorialSources {
  static final List<String> LUA_FILES = List.of("relay.lua", "worker.lua", "cli.lua");
  private static final Pattern YAML_TOP_LEVEL = Pattern.compile("^[A-Za-z_]+:( .*)?$");
  private static final String LUA_END = "return { main = main }";

  private TutorialSources() {}

  /** The Echo tutorial's seed next to the repository ({@code ../shared/seeds/002_*.txt}), if there is one. */
  static Optional<Path> seed(Path repoRoot) throws IOException {
    Path seeds = repoRoot.resolve("../shared/seeds").normalize();
    if (!Files.isDirectory(seeds)) {
      return Optional.empty();
    }
    try (Stream<Path> files = Files.list(seeds)) {
      return files.filter(f -> f.getFileName().toString().matches("002_.*\\.txt")).findFirst();
    }
  }

  /** Writes the four files into {@code project/src}; fails naming the file it could not find. */
  static void extract(Path seed, Path project) throws IOException {
    List<String> lines = Files.readAllLines(seed);
    Path src = Files.createDirectories(project.resolve("src"));
    Files.writeString(src.resolve("_index.yaml"), yaml(lines));
    for (String f : LUA_FILES) {
      Files.writeString(src.resolve(f), lua(lines, f));
    }
  }

  private static int after(List<String> lines, String file) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains("src/" + file)) {
        return i + 1;
      }
    }
    throw new IllegalStateException("the tutorial names no src/" + file);
  }

  private static String lua(List<String> lines, String file) {
    List<String> out = new ArrayList<>();
    for (int i = skipBlank(lines, after(lines, file)); i < lines.size(); i++) {
      out.add(lines.get(i));
      if (lines.get(i).strip().equals(LUA_END)) {
        return String.join("\n", out) + "\n";
      }
    }
    throw new IllegalStateException("src/" + file + " in the tutorial has no '" + LUA_END + "'");
  }

  private static String yaml(List<String> lines) {
    List<String> out = new ArrayList<>();
    for (int i = skipBlank(lines, after(lines, "_index.yaml")); i < lines.size(); i++) {
      String l = lines.get(i);
      if (!l.isBlank() && !Character.isWhitespace(l.charAt(0)) && !YAML_TOP_LEVEL.matcher(l).matches()) {
        break;
      }
      out.add(l);
    }
    return String.join("\n", out).strip() + "\n";
  }

  private static int skipBlank(List<String> lines, int i) {
    while (i < lines.size() && lines.get(i).isBlank()) {
      i++;
    }
    return i;
  }
}
