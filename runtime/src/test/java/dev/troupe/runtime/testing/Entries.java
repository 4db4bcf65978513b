package dev.troupe.runtime.testing;

import dev.troupe.runtime.api.Message;
import dev.troupe.runtime.api.ProcessContext;
import dev.troupe.runtime.api.ProcessFailure;
import dev.troupe.runtime.process.EntryCatalog;
import java.time.Duration;

/** Small process entries the tests spawn. */
public final class Entries {
  private Entries() {}

  public static EntryCatalog catalog() {
    return new EntryCatalog()
        // Returns its first argument.
        .register("test:return", () -> (p, args) -> args.isEmpty() ? null : args.get(0))
        // Fails with its first argument as the error.
        .register("test:fail", () -> (p, args) -> {
          throw new ProcessFailure(String.valueOf(args.get(0)));
        })
        // Echoes every inbox message back to its sender on topic "echo_reply" until told "stop".
        .register("test:echo", () -> (p, args) -> {
          while (true) {
            Message m = p.inbox().receive().value();
            if ("stop".equals(m.topic())) {
              return "stopped";
            }
            p.send(m.from(), "echo_reply", m.payload());
          }
        })
        // Sleeps until terminated or cancelled; returns "cancelled" on CANCEL.
        .register("test:block", () -> (p, args) -> {
          var ev = p.events().receive().value();
          return ev.kind() == dev.troupe.runtime.api.Event.Kind.CANCEL ? "cancelled" : "event";
        })
        // Registers the name in args[0], then waits for a "stop" message.
        .register("test:named", () -> (p, args) -> {
          p.registry().register(ProcessContext.string(args, 0));
          p.inbox().receive();
          return "done";
        })
        // The worker of the Echo tutorial: replies to args[0] with args[1] upper-cased.
        .register("test:upper", () -> (p, args) -> {
          p.send(ProcessContext.string(args, 0), "echo_response",
              java.util.Map.of("data", ProcessContext.string(args, 1).toUpperCase(), "worker", p.pid()));
          return 0;
        })
        .register("test:sleep", () -> (p, args) -> {
          p.sleep(Duration.ofMillis(((Number) args.get(0)).longValue()));
          return "slept";
        });
  }
}
