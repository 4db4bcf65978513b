package dev.troupe.lua;

import dev.troupe.api.ProcessContext;
import dev.troupe.api.TroupeException;
import dev.troupe.api.channel.Channel;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.VarArgFunction;
import org.luaj.vm2.lib.ZeroArgFunction;

/**
 * {@code process}: the original's process API over {@link ProcessContext}. Calls that can fail return
 * {@code nil, err} (or {@code false, err} for {@code set_options}) with an error object, as in the
 * original; arguments of the wrong type raise a Lua error. Every call to the node is a point where the
 * process's other coroutines may run.
 */
final class ProcessModule {
  private final ProcessContext process;
  private final LuaLock lock;
  /** One userdata per channel of the process, so that {@code r.channel == inbox} holds. */
  private final Map<Channel<?>, LuaChannel> channels = new HashMap<>();
  private final Map<LuaChannel, String> topics = new HashMap<>();

  private ProcessModule(ProcessContext process, LuaLock lock) {
    this.process = process;
    this.lock = lock;
  }

  static LuaTable create(ProcessContext process, LuaLock lock) {
    return new ProcessModule(process, lock).table();
  }

  /** A call to the node: without the lock while it waits; a refusal becomes {@code nil, err}. */
  private Varargs request(LuaLock.Blocking<LuaValue> request) {
    try {
      return lock.blocking(request);
    } catch (TroupeException e) {
      return LuaErrors.failure(e);
    }
  }

  private LuaValue wrap(Channel<?> c, Function<Object, LuaValue> toLua) {
    return channels.computeIfAbsent(c, k -> LuaChannel.ofProcess(k, toLua, lock)).userdata;
  }

  private interface Spawn {
    String spawn(String entry, String host, Object... args);
  }

  private VarArgFunction spawner(String name, Spawn how) {
    return new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        if (args.narg() < 2) {
          return LuaErrors.failure("INVALID", name + " requires at least id and host arguments");
        }
        String entry = args.checkjstring(1);
        String host = args.checkjstring(2);
        Object[] payloads = LuaValues.toJava(args, 3);
        return request(() -> valueOf(how.spawn(entry, host, payloads)));
      }
    };
  }

  private interface TargetCall {
    void run(String target);
  }

  private VarArgFunction onTarget(TargetCall how) {
    return new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        String target = args.checkjstring(1);
        return request(() -> {
          how.run(target);
          return TRUE;
        });
      }
    };
  }

  private LuaTable table() {
    LuaTable m = new LuaTable();
    m.rawset("pid", new ZeroArgFunction() {
      @Override
      public LuaValue call() {
        return valueOf(process.pid());
      }
    });
    m.rawset("id", new ZeroArgFunction() {
      @Override
      public LuaValue call() {
        return valueOf(process.entry());
      }
    });
    m.rawset("send", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        if (args.narg() < 2) {
          return LuaErrors.failure("INVALID", "send requires at least destination and topic arguments");
        }
        String to = args.checkjstring(1);
        String topic = args.checkjstring(2);
        if (topic.startsWith("@")) {
          return LuaErrors.failure("INVALID", "cannot send to @ topics");
        }
        Object[] payloads = LuaValues.toJava(args, 3);
        return ProcessModule.this.request(() -> {
          process.send(to, topic, payloads);
          return TRUE;
        });
      }
    });
    m.rawset("spawn", spawner("spawn", process::spawn));
    m.rawset("spawn_monitored", spawner("spawn_monitored", process::spawnMonitored));
    m.rawset("spawn_linked", spawner("spawn_linked", process::spawnLinked));
    m.rawset("spawn_linked_monitored", spawner("spawn_linked_monitored", process::spawnLinkedMonitored));
    m.rawset("inbox", new ZeroArgFunction() {
      @Override
      public LuaValue call() {
        return wrap(process.inbox(), o -> MessageObjects.message((dev.troupe.api.Message) o));
      }
    });
    m.rawset("events", new ZeroArgFunction() {
      @Override
      public LuaValue call() {
        return wrap(process.events(), o -> MessageObjects.event((dev.troupe.api.Event) o));
      }
    });
    m.rawset("listen", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        String topic = args.checkjstring(1);
        boolean messages = args.arg(2).istable() && args.arg(2).get("message").toboolean();
        try {
          // One channel per topic, which a later listen may switch to message mode: each value is
          // turned into Lua by what it is, not by how the channel was first asked for.
          LuaValue ch = wrap(messages ? process.listenMessages(topic) : process.listen(topic),
              o -> o instanceof dev.troupe.api.Message msg ? MessageObjects.message(msg) : MessageObjects.raw(o));
          topics.put(LuaChannel.check(ch), topic);
          return ch;
        } catch (TroupeException e) {
          return LuaErrors.failure(e);
        }
      }
    });
    m.rawset("unlisten", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        LuaChannel ch = LuaChannel.check(args.arg1());
        String topic = topics.remove(ch);
        if (topic == null || !process.unlisten(topic)) {
          return varargsOf(FALSE, LuaErrors.of("NOT_FOUND", "the channel is not subscribed to a topic"));
        }
        ch.channel.close();
        channels.remove(ch.channel);
        return TRUE;
      }
    });
    m.rawset("monitor", onTarget(process::monitor));
    m.rawset("unmonitor", onTarget(process::unmonitor));
    m.rawset("link", onTarget(process::link));
    m.rawset("unlink", onTarget(process::unlink));
    m.rawset("terminate", onTarget(process::terminate));
    m.rawset("cancel", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        String target = args.checkjstring(1);
        String reason = args.optjstring(2, "");
        return ProcessModule.this.request(() -> {
          process.cancel(target, reason);
          return TRUE;
        });
      }
    });
    m.rawset("set_options", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        return setOptions(args.arg1());
      }
    });
    m.rawset("get_options", new ZeroArgFunction() {
      @Override
      public LuaValue call() {
        LuaTable t = new LuaTable();
        t.rawset("trap_links", valueOf(process.trapLinks()));
        return t;
      }
    });
    m.rawset("registry", registry());
    LuaTable event = new LuaTable();
    event.rawset("EXIT", MessageObjects.EXIT);
    event.rawset("LINK_DOWN", MessageObjects.LINK_DOWN);
    event.rawset("CANCEL", MessageObjects.CANCEL);
    m.rawset("event", event);
    return m;
  }

  /** Only {@code trap_links} is an option; other keys are refused, the valid ones still applied. */
  private Varargs setOptions(LuaValue options) {
    if (!options.istable()) {
      return LuaValue.varargsOf(LuaValue.FALSE, LuaErrors.of("INVALID", "options parameter must be a table"));
    }
    String refused = null;
    for (Varargs kv = options.next(LuaValue.NIL); !kv.arg1().isnil(); kv = options.next(kv.arg1())) {
      String key = kv.arg1().tojstring();
      if (!key.equals("trap_links")) {
        refused = "option " + key + " is not supported";
      } else if (!kv.arg(2).isboolean()) {
        refused = "trap_links must be a boolean";
      } else {
        boolean trap = kv.arg(2).toboolean();
        try {
          lock.blocking(() -> {
            process.setTrapLinks(trap);
            return null;
          });
        } catch (TroupeException e) {
          return LuaValue.varargsOf(LuaValue.FALSE, LuaErrors.of(e));
        }
      }
    }
    return refused == null ? LuaValue.varargsOf(LuaValue.TRUE, LuaValue.NIL)
        : LuaValue.varargsOf(LuaValue.FALSE, LuaErrors.of("INVALID", refused));
  }

  private LuaTable registry() {
    LuaTable r = new LuaTable();
    r.rawset("register", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        String name = args.checkjstring(1);
        if (!args.arg(2).isnil() && !args.arg(2).tojstring().equals(process.pid())) {
          return LuaErrors.failure("PERMISSION_DENIED", "a process can register only its own PID");
        }
        return request(() -> {
          process.registry().register(name);
          return TRUE;
        });
      }
    });
    r.rawset("lookup", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        String name = args.checkjstring(1);
        Varargs found = ProcessModule.this.request(
            () -> process.registry().lookup(name).<LuaValue>map(LuaValue::valueOf).orElse(NIL));
        return found.arg1().isnil() && found.narg() < 2 ? LuaErrors.failure("NOT_FOUND", "name not registered") : found;
      }
    });
    r.rawset("unregister", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue name) {
        String n = name.checkjstring();
        try {
          return valueOf(lock.blocking(() -> process.registry().unregister(n)));
        } catch (TroupeException e) {
          return FALSE;
        }
      }
    });
    return r;
  }
}
