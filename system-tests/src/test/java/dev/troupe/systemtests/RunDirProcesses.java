package dev.troupe.systemtests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The live processes that name a run directory on their command line ({@code -Dtroupe.run.dir=DIR},
 * exactly): the service JVMs and keepers scripts/troupe started for it. How a test sees what a
 * topology really runs, whatever its PID files say.
 */
final class RunDirProcesses {
  private RunDirProcesses() {}

  static Set<ProcessHandle> of(Path runDir) {
    String marker = "-Dtroupe.run.dir=" + realPath(runDir);
    return ProcessHandle.allProcesses()
        .filter(h -> !Topology.hasExited(h))
        .filter(h -> h.info().arguments().map(a -> Arrays.asList(a).contains(marker)).orElse(false))
        .collect(Collectors.toCollection(LinkedHashSet::new));
  }

  /** The spelling the scripts use: absolute, symbolic links resolved. */
  private static Path realPath(Path runDir) {
    try {
      return runDir.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
