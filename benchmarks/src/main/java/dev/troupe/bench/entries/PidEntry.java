package dev.troupe.bench.entries;

import dev.troupe.api.ProcessContext;
import dev.troupe.api.ProcessEntry;
import java.time.Duration;
import java.util.List;

/**
 * {@code bench:pid}: tells its parent (argument 0) the OS pid of its worker JVM, then waits (at most
 * a minute) to be killed.
 */
public final class PidEntry implements ProcessEntry {
  @Override
  public Object main(ProcessContext p, List<Object> args) throws Exception {
    String parent = ProcessContext.string(args, 0);
    Posting.post(p, parent, "pid", ProcessHandle.current().pid());
    p.inbox().receive(Duration.ofMinutes(1));
    return 0;
  }
}
