package dev.troupe.api;

import java.util.List;

/**
 * A process's code: a class with a {@code main} that receives the spawn arguments and returns a
 * result or fails. Returning ends the process normally (its coroutines are stopped); throwing ends it
 * with an error, which its monitors see in EXIT and its links as LINK_DOWN.
 *
 * <p>Implementations need a public no-argument constructor: one instance is made per process.
 */
@FunctionalInterface
public interface ProcessEntry {
  Object main(ProcessContext process, List<Object> args) throws Exception;
}
