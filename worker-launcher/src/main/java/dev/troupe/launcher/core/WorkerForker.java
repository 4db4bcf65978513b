package dev.troupe.launcher.core;

import java.io.IOException;

/** Starts a worker JVM that joins the registry as node {@code nodeName}, a member of the pool's host. */
@FunctionalInterface
public interface WorkerForker {
  /** @param dedicated the JVM is for one process of an {@code isolation: jvm} entry */
  Process fork(String nodeName, boolean dedicated) throws IOException;
}
