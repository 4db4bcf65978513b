package dev.troupe.launcher.topology;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A launcher's topology file, parsed: in the spirit of the original's {@code _index.yaml}: the process
 * hosts it serves, the entries (Java classes, Lua scripts) its workers can run, and the services it starts at
 * boot and restarts when they fail.
 *
 * @param hosts ids of {@code process.host} entries, e.g. app:processes
 * @param terminals ids of {@code terminal.host} entries (where {@code troupe run -x} runs a CLI entry)
 * @param entries entry id to what worker JVMs take after {@code --entry ID=}: a class name for a
 *     {@code process.java} entry, {@code lua:...} for a {@code process.lua} one (LuaEntryDefinition)
 * @param services {@code process.service} entries
 * @param isolated ids of the entries declared {@code isolation: jvm}: each of their processes gets a
 *     worker JVM of its own instead of sharing one
 */
public record TopologyFile(List<String> hosts, List<String> terminals, Map<String, String> entries, List<Service> services,
    java.util.Set<String> isolated) {

  /**
   * A supervised process.
   *
   * @param id the service's own id, e.g. app:relay-service
   * @param process the entry it runs
   * @param host where it runs
   * @param input arguments to its main
   * @param autoStart whether the launcher starts it at boot
   * @param restartDelay wait before a restart after a failure
   * @param jitter the fraction by which the delay varies
   * @param maxAttempts restarts before giving up; 0 = forever
   */
  public record Service(String id, String process, String host, List<Object> input, boolean autoStart,
      Duration restartDelay, double jitter, int maxAttempts) {}

  /** The entries as ID=CLASS specs, as worker JVMs take them on their command line. */
  public List<String> entrySpecs() {
    return entries.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
  }
}
