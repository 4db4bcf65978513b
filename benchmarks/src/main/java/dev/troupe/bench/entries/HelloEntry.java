package dev.troupe.bench.entries;

import dev.troupe.api.ProcessContext;
import dev.troupe.api.ProcessEntry;
import java.util.List;

/**
 * {@code bench:hello}: tells its parent (argument 0) that it runs, with its JVM's OS pid, then returns
 * the {@link System#nanoTime()} of its return as text (CLOCK_MONOTONIC on Linux: comparable across
 * JVMs of one machine), so the monitor can time exit to EXIT.
 */
public final class HelloEntry implements ProcessEntry {
  @Override
  public Object main(ProcessContext p, List<Object> args) {
    String parent = ProcessContext.string(args, 0);
    Posting.post(p, parent, "hello", ProcessHandle.current().pid());
    return Long.toString(System.nanoTime());
  }
}
