package dev.troupe.lua;

import dev.troupe.api.Event;
import dev.troupe.api.ExitResult;
import dev.troupe.api.Message;
import java.util.List;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.OneArgFunction;

/**
 * What a Lua process receives: messages ({@code msg:topic()}, {@code msg:from()},
 * {@code msg:payload():data()}) and event tables ({@code {kind, from, at, result = {value, error}}}, or
 * {@code {kind, from, reason, at}} for CANCEL).
 */
final class MessageObjects {
  static final String EXIT = "pid.exit";
  static final String LINK_DOWN = "pid.link.down";
  static final String CANCEL = "pid.cancel";

  private record Payload(Object value) {}

  private static final LuaTable MESSAGE = messageMetatable();
  private static final LuaTable PAYLOAD = payloadMetatable();

  private MessageObjects() {}

  static LuaValue message(Message m) {
    return new LuaUserdata(m, MESSAGE);
  }

  /** The original's {@code msg:payload()}: nil for none, a payload for one, a list of payloads for more. */
  static LuaValue payload(List<Object> payloads) {
    return switch (payloads.size()) {
      case 0 -> LuaValue.NIL;
      case 1 -> new LuaUserdata(new Payload(payloads.get(0)), PAYLOAD);
      default -> {
        LuaTable t = new LuaTable(payloads.size(), 0);
        for (int i = 0; i < payloads.size(); i++) {
          t.rawset(i + 1, new LuaUserdata(new Payload(payloads.get(i)), PAYLOAD));
        }
        yield t;
      }
    };
  }

  /** The raw mode of {@code process.listen(topic)}: the value for one payload, a list for more. */
  static LuaValue raw(Object payload) {
    return LuaValues.toLua(payload);
  }

  static LuaValue event(Event e) {
    LuaTable t = new LuaTable();
    t.rawset("kind", kind(e.kind()));
    t.rawset("from", e.from());
    t.rawset("at", LuaValue.valueOf(e.atUnixMs() / 1000.0));
    if (e.kind() == Event.Kind.CANCEL) {
      t.rawset("reason", e.reason());
    } else {
      ExitResult r = e.result();
      LuaTable result = new LuaTable();
      if (r != null) {
        result.rawset("value", LuaValues.toLua(r.value()));
        if (r.isError()) {
          result.rawset("error", LuaErrors.of(r.errorKind() == null ? "FAILED" : r.errorKind(), r.error()));
        }
      }
      t.rawset("result", result);
    }
    return t;
  }

  static String kind(Event.Kind kind) {
    return switch (kind) {
      case EXIT -> EXIT;
      case LINK_DOWN -> LINK_DOWN;
      case CANCEL -> CANCEL;
    };
  }

  private static LuaTable messageMetatable() {
    LuaTable methods = new LuaTable();
    methods.rawset("topic", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue self) {
        return valueOf(((Message) self.checkuserdata(Message.class)).topic());
      }
    });
    methods.rawset("from", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue self) {
        return valueOf(((Message) self.checkuserdata(Message.class)).from());
      }
    });
    methods.rawset("payload", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue self) {
        return payload(((Message) self.checkuserdata(Message.class)).payloads());
      }
    });
    LuaTable mt = LuaSandbox.protectedMetatable("process.Message", methods);
    mt.rawset(LuaValue.TOSTRING, new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue self) {
        return valueOf("process.Message{topic=" + ((Message) self.checkuserdata(Message.class)).topic() + "}");
      }
    });
    return mt;
  }

  private static LuaTable payloadMetatable() {
    LuaTable methods = new LuaTable();
    methods.rawset("data", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue self) {
        return LuaValues.toLua(((Payload) self.checkuserdata(Payload.class)).value());
      }
    });
    return LuaSandbox.protectedMetatable("process.Payload", methods);
  }
}
