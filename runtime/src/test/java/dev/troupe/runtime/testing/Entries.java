package dev.troupe.runtime.testing;

import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.api.ProcessContext;
import dev.troupe.api.ProcessFailure;
import dev.troupe.api.TroupeException;
import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.Received;
import dev.troupe.api.channel.Select;
import dev.troupe.api.channel.SelectResult;
import dev.troupe.runtime.process.EntryCatalog;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
          return ev.kind() == dev.troupe.api.Event.Kind.CANCEL ? "cancelled" : "event";
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
        })
        // Waits for one inbox message: topic "fail" fails with the payload as the error, any other
        // topic returns the payload.
        .register("test:await", () -> (p, args) -> {
          Message m = p.inbox().receive().value();
          if ("fail".equals(m.topic())) {
            throw new ProcessFailure(String.valueOf(m.payload()));
          }
          return m.payload();
        })
        // args [ctl, count, name]: registers name (unless ""), tells ctl "ready", reads count inbox
        // messages and returns {values: payloads in arrival order, senders: distinct from PIDs}.
        .register("test:collect", () -> (p, args) -> {
          String ctl = ProcessContext.string(args, 0);
          int count = ((Number) args.get(1)).intValue();
          String name = args.size() > 2 ? ProcessContext.string(args, 2) : "";
          if (!name.isEmpty()) {
            p.registry().register(name);
          }
          p.send(ctl, "ready", p.pid());
          List<Object> values = new ArrayList<>(count);
          Set<String> senders = new LinkedHashSet<>();
          for (int i = 0; i < count; i++) {
            Message m = p.inbox().receive().value();
            values.add(m.payload());
            senders.add(m.from());
          }
          return Map.of("values", values, "senders", List.copyOf(senders));
        })
        // args [delayMs]: does not read anything for delayMs, then returns the first inbox message as
        // {topic, payload}.
        .register("test:late_reader", () -> (p, args) -> {
          long delay = ((Number) args.get(0)).longValue();
          if (delay > 0) {
            p.sleep(Duration.ofMillis(delay));
          }
          Message m = p.inbox().receive().value();
          return Map.of("topic", m.topic(), "payload", m.payload());
        })
        // args [delayMs, topic]: only after delayMs starts listening on topic; returns what arrives there.
        .register("test:late_listener", () -> (p, args) -> {
          p.sleep(Duration.ofMillis(((Number) args.get(0)).longValue()));
          return p.listen(ProcessContext.string(args, 1)).receive().value();
        })
        // args [ctl]: the original's inbox_fallback: listens on "A", tells ctl "ready", then takes two
        // values from the listener and one message from the inbox.
        .register("test:fallback", () -> (p, args) -> {
          Channel<Object> a = p.listen("A");
          p.send(ProcessContext.string(args, 0), "ready", p.pid());
          List<Object> fromListener = List.of(a.receive().value(), a.receive().value());
          Message m = p.inbox().receive().value();
          return Map.of("listener", fromListener, "inboxTopic", m.topic(), "inboxPayload", m.payload());
        })
        // args [ctl]: listens on "A", takes one value, unlistens, tells ctl "unlistened", then reads
        // the inbox once; returns what it saw and what a second unlisten says.
        .register("test:unlisten", () -> (p, args) -> {
          String ctl = ProcessContext.string(args, 0);
          Channel<Object> a = p.listen("A");
          p.send(ctl, "ready", p.pid());
          Object first = a.receive().value();
          boolean removed = p.unlisten("A");
          Received<Object> afterClose = a.receive();
          p.send(ctl, "unlistened", p.pid());
          Message m = p.inbox().receive().value();
          return Map.of("first", first, "removed", removed, "closedAfterUnlisten", !afterClose.ok(),
              "inboxTopic", m.topic(), "inboxPayload", m.payload(), "secondUnlisten", p.unlisten("A"));
        })
        // args [to]: sends the payload shapes raw mode distinguishes: none, one, two, a null.
        .register("test:shapes", () -> (p, args) -> {
          String to = ProcessContext.string(args, 0);
          p.send(to, "raw");
          p.send(to, "raw", "one");
          p.send(to, "raw", "a", 2L);
          p.send(to, "raw", (Object) null);
          p.send(to, "msg", "x", Map.of("k", List.of(1L, 2L)));
          return "sent";
        })
        // args [ctl, workerHost]: the Echo relay: selects over inbox and events. "work" spawns a
        // monitored test:upper; its "echo_response" goes to ctl as "result"; each EXIT goes to ctl as
        // "exit"; "stop" ends it with the number of EXITs seen.
        .register("test:relay", () -> (p, args) -> {
          String ctl = ProcessContext.string(args, 0);
          String host = ProcessContext.string(args, 1);
          Channel<Message> inbox = p.inbox();
          Channel<Event> events = p.events();
          int exits = 0;
          while (true) {
            SelectResult r = Select.select(inbox.receiveCase(), events.receiveCase());
            if (r.channel() == inbox) {
              Message m = (Message) r.value();
              switch (m.topic()) {
                case "work" -> p.spawnMonitored("test:upper", host, p.pid(), m.payload());
                case "echo_response" -> p.send(ctl, "result", m.payload());
                case "stop" -> {
                  return exits;
                }
                default -> p.send(ctl, "unexpected", m.topic());
              }
            } else {
              Event e = (Event) r.value();
              exits++;
              p.send(ctl, "exit", describe(e));
            }
          }
        })
        // args [ctl, afterMs]: selects over its inbox and time.after; reports which fired, then checks
        // that the fired timer reads as closed and does not fire again.
        .register("test:timeout", () -> (p, args) -> {
          Channel<Instant> timer = p.after(Duration.ofMillis(((Number) args.get(1)).longValue()));
          Channel<Message> inbox = p.inbox();
          SelectResult first = Select.select(inbox.receiveCase(), timer.receiveCase());
          Received<Instant> again = timer.receive();
          return Map.of("firstWasTimer", first.channel() == timer, "firstOk", first.ok(),
              "againOk", again.ok());
        })
        // A coroutine fails while main waits: the whole process fails with its error.
        .register("test:coroutine_fail", () -> (p, args) -> {
          p.coroutine(() -> {
            throw new IllegalStateException("coroutine broke");
          });
          p.inbox().receive();
          return "unreachable";
        })
        // args [ctl]: a coroutine reports to ctl and then loops forever; main returns once ctl
        // answers, which must end the process (and its coroutine) normally.
        .register("test:coroutine_outlived", () -> (p, args) -> {
          String ctl = ProcessContext.string(args, 0);
          p.coroutine(() -> {
            p.send(ctl, "from_coroutine", p.pid());
            while (true) {
              p.sleep(Duration.ofMillis(5));
            }
          });
          return p.inbox().receive().value().payload();
        })
        // args [ctl, forwardEvents]: a process the test scripts through its inbox (see Agent ops in
        // perform). Replies to ctl on "reply"; with forwardEvents, every event it gets goes to ctl on
        // "event" (so it never dies of LINK_DOWN by not reading events, only by not trapping).
        .register("test:agent", () -> (p, args) -> {
          String ctl = ProcessContext.string(args, 0);
          if (args.size() > 1 && Boolean.TRUE.equals(args.get(1))) {
            Channel<Event> events = p.events();
            p.coroutine(() -> {
              while (true) {
                Received<Event> r = events.receive();
                if (!r.ok()) {
                  return;
                }
                p.send(ctl, "event", describe(r.value()));
              }
            });
          }
          Channel<Message> inbox = p.inbox();
          while (true) {
            Received<Message> r = inbox.receive();
            if (!r.ok()) {
              return "closed";
            }
            Message m = r.value();
            @SuppressWarnings("unchecked")
            Map<String, Object> cmd = m.payload() instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
            switch (m.topic()) {
              case "exit" -> {
                return cmd.get("value");
              }
              case "fail" -> throw new ProcessFailure(String.valueOf(cmd.get("error")));
              default -> { }
            }
            Map<String, Object> reply = new HashMap<>();
            reply.put("op", m.topic());
            try {
              reply.put("value", perform(p, m.topic(), cmd));
              reply.put("ok", true);
            } catch (TroupeException e) {
              reply.put("ok", false);
              reply.put("code", e.code().name());
              reply.put("message", e.getMessage());
            }
            p.send(ctl, "reply", reply);
          }
        });
  }

  /** One agent operation; the result goes back to the test in the reply. */
  @SuppressWarnings("unchecked")
  private static Object perform(ProcessContext p, String op, Map<String, Object> c) throws Exception {
    return switch (op) {
      case "ping" -> "pong";
      case "send" -> {
        List<Object> payloads = (List<Object>) c.getOrDefault("payloads", List.of());
        p.send(s(c, "to"), s(c, "topic"), payloads.toArray());
        yield null;
      }
      // Sends count messages base+1 .. base+count on topic, cycling through the destinations in
      // "targets" (PIDs and names mixed).
      case "sendSeq" -> {
        List<String> targets = (List<String>) c.get("targets");
        long base = ((Number) c.getOrDefault("base", 0L)).longValue();
        int count = ((Number) c.get("count")).intValue();
        for (int i = 1; i <= count; i++) {
          p.send(targets.get(i % targets.size()), s(c, "topic"), base + i);
        }
        yield count;
      }
      // Spawns and sends to the child at once, before it can have run.
      case "spawnSend" -> {
        String child = p.spawnMonitored(s(c, "entry"), s(c, "host"),
            ((List<Object>) c.getOrDefault("args", List.of())).toArray());
        p.send(child, s(c, "topic"), c.get("payload"));
        yield child;
      }
      case "spawn" -> {
        Object[] a = ((List<Object>) c.getOrDefault("args", List.of())).toArray();
        boolean monitor = Boolean.TRUE.equals(c.get("monitor"));
        boolean link = Boolean.TRUE.equals(c.get("link"));
        String entry = s(c, "entry");
        String host = s(c, "host");
        yield monitor && link ? p.spawnLinkedMonitored(entry, host, a)
            : monitor ? p.spawnMonitored(entry, host, a)
            : link ? p.spawnLinked(entry, host, a)
            : p.spawn(entry, host, a);
      }
      case "monitor" -> {
        p.monitor(s(c, "target"));
        yield null;
      }
      case "unmonitor" -> {
        p.unmonitor(s(c, "target"));
        yield null;
      }
      case "link" -> {
        p.link(s(c, "target"));
        yield null;
      }
      case "unlink" -> {
        p.unlink(s(c, "target"));
        yield null;
      }
      case "trap" -> {
        p.setTrapLinks(Boolean.TRUE.equals(c.get("value")));
        yield p.trapLinks();
      }
      case "register" -> {
        p.registry().register(s(c, "name"));
        yield null;
      }
      case "unregister" -> p.registry().unregister(s(c, "name"));
      case "lookup" -> p.registry().lookup(s(c, "name")).orElse(null);
      case "terminate" -> {
        p.terminate(s(c, "target"));
        yield null;
      }
      case "cancel" -> {
        p.cancel(s(c, "target"), s(c, "reason"));
        yield null;
      }
      // Collects count raw values from a listener on topic (waits at most timeoutMs for each).
      case "collect" -> {
        Channel<Object> ch = p.listen(s(c, "topic"));
        int count = ((Number) c.get("count")).intValue();
        long timeout = ((Number) c.getOrDefault("timeoutMs", 10_000L)).longValue();
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          var r = ch.receive(Duration.ofMillis(timeout));
          if (r.isEmpty()) {
            break;
          }
          out.add(r.get().value());
        }
        yield out;
      }
      default -> throw TroupeException.invalid("unknown agent op '" + op + "'");
    };
  }

  private static String s(Map<String, Object> c, String key) {
    return String.valueOf(c.get(key));
  }

  /** An event as a payload map: kind, from, value, error, errorKind, reason. */
  public static Map<String, Object> describe(Event e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", e.kind().name());
    m.put("from", e.from());
    m.put("value", e.result() == null ? null : e.result().value());
    m.put("error", e.result() == null ? null : e.result().error());
    m.put("errorKind", e.result() == null ? null : e.result().errorKind());
    m.put("reason", e.reason());
    return m;
  }
}
