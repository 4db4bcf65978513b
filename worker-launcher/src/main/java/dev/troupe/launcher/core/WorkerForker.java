package dev.troupe.launcher.core;

import java.io.IOException;

/** Starts a worker JVM that will attach back with {@code workerId}. */
@FunctionalInterface
public interface WorkerForker {
  Process fork(String workerId) throws IOException;
}
