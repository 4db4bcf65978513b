package dev.troupe.systemtests.entries;

import dev.troupe.api.Message;
import dev.troupe.api.ProcessContext;
import dev.troupe.api.ProcessEntry;
import dev.troupe.api.ProcessFailure;
import dev.troupe.api.channel.Received;
import java.util.List;
import java.util.Map;

/**
 * {@code test:hold}, run by worker JVMs in the system tests: optionally registers a name, tells
 * {@code reportTo} on topic {@code started} which OS process (worker JVM) runs it, then holds until it
 * is sent {@code stop} (returns "stopped") or {@code fail} (fails with the text sent).
 *
 * <p>Arguments: reportTo (PID text), and optionally the name to register.
 */
public final class HoldEntry implements ProcessEntry {
  /** The entry id the system tests give this class (--entry test:hold=...). */
  public static final String ID = "test:hold";

  @Override
  public Object main(ProcessContext process, List<Object> args) throws Exception {
    String reportTo = ProcessContext.string(args, 0);
    String name = args.size() > 1 ? ProcessContext.string(args, 1) : "";
    if (!name.isEmpty()) {
      process.registry().register(name);
    }
    process.send(reportTo, "started", Map.of(
        "pid", process.pid(),
        "os_pid", ProcessHandle.current().pid(),
        "name", name));
    while (true) {
      Received<Message> r = process.inbox().receive();
      if (!r.ok()) {
        return "inbox closed";
      }
      switch (r.value().topic()) {
        case "stop" -> {
          return "stopped";
        }
        case "fail" -> throw new ProcessFailure(String.valueOf(r.value().payload()));
        default -> { } // anything else: keep holding
      }
    }
  }
}
