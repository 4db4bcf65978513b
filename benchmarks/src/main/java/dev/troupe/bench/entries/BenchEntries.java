package dev.troupe.bench.entries;

import dev.troupe.runtime.process.EntryCatalog;
import java.util.List;

/** The benchmark entries, for bench nodes (in-JVM) and for worker JVMs ({@code --entry ID=CLASS}). */
public final class BenchEntries {
  private BenchEntries() {}

  /** ID=CLASS specs, as the launcher's {@code --entry} takes them. */
  public static List<String> specs() {
    return List.of(
        "bench:sink=" + SinkEntry.class.getName(),
        "bench:echo=" + EchoEntry.class.getName(),
        "bench:hello=" + HelloEntry.class.getName(),
        "bench:pid=" + PidEntry.class.getName());
  }

  public static EntryCatalog catalog() {
    return new EntryCatalog()
        .register("bench:sink", SinkEntry::new)
        .register("bench:echo", EchoEntry::new)
        .register("bench:hello", HelloEntry::new)
        .register("bench:pid", PidEntry::new);
  }
}
