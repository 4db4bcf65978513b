package dev.troupe.lua;

import dev.troupe.api.channel.Case;
import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.ChannelClosedException;
import dev.troupe.api.channel.Received;
import java.util.function.Function;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * A channel as Lua sees it: {@code ch:send(v)}, {@code ch:receive()}, {@code ch:close()},
 * {@code ch:case_receive()}, {@code ch:case_send(v)}. It wraps one of the runtime's channels: one made
 * by {@code channel.new} (holding Lua values, for the coroutines of one process), or one of the
 * process's own (inbox, events, a topic, a timer), whose values are turned into Lua values as they are
 * received. One userdata per channel, so {@code r.channel == inbox} holds.
 */
final class LuaChannel {
  private static final LuaTable METATABLE = metatable();
  private static final LuaTable CASE_METATABLE = LuaSandbox.protectedMetatable("channel.case", null);

  final Channel<Object> channel;
  private final Function<Object, LuaValue> toLua;
  private final boolean writable;
  private final LuaLock lock;
  final LuaUserdata userdata;

  @SuppressWarnings("unchecked")
  private LuaChannel(Channel<?> channel, Function<Object, LuaValue> toLua, boolean writable, LuaLock lock) {
    this.channel = (Channel<Object>) channel;
    this.toLua = toLua;
    this.writable = writable;
    this.lock = lock;
    this.userdata = new LuaUserdata(this, METATABLE);
  }

  /** A channel of Lua values for the coroutines of one process ({@code channel.new(n)}). */
  static LuaChannel ofLua(int capacity, LuaLock lock) {
    Channel<Object> c = capacity <= 0 ? Channel.unbuffered() : Channel.buffered(capacity);
    return new LuaChannel(c, v -> (LuaValue) v, true, lock);
  }

  /** One of the process's own channels, read-only from Lua; {@code toLua} turns what it holds into Lua. */
  static LuaChannel ofProcess(Channel<?> channel, Function<Object, LuaValue> toLua, LuaLock lock) {
    return new LuaChannel(channel, toLua, false, lock);
  }

  static LuaChannel check(LuaValue v) {
    return (LuaChannel) v.checkuserdata(LuaChannel.class);
  }

  LuaValue convert(Object received) {
    return toLua.apply(received);
  }

  /** A case of a select, holding the runtime's case and the channel it belongs to. */
  record LuaCase(Case<?> target, LuaChannel channel) {}

  private Varargs receive() {
    Received<Object> r = lock.blocking(channel::receive);
    return r.ok() ? LuaValue.varargsOf(convert(r.value()), LuaValue.TRUE)
        : LuaValue.varargsOf(LuaValue.NIL, LuaValue.FALSE);
  }

  private LuaValue send(LuaValue v) {
    checkWritable();
    try {
      lock.blocking(() -> {
        channel.send(v);
        return null;
      });
    } catch (ChannelClosedException e) {
      throw new LuaError("send on closed channel");
    }
    return LuaValue.TRUE;
  }

  private void checkWritable() {
    if (!writable) {
      throw new LuaError("this channel belongs to the process (inbox, events, a topic or a timer): it can only be received from");
    }
  }

  private static LuaTable metatable() {
    LuaTable methods = new LuaTable();
    methods.rawset("receive", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        return check(args.arg1()).receive();
      }
    });
    methods.rawset("send", new TwoArgFunction() {
      @Override
      public LuaValue call(LuaValue self, LuaValue v) {
        return check(self).send(v);
      }
    });
    methods.rawset("close", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue self) {
        LuaChannel c = check(self);
        c.checkWritable();
        c.channel.close(); // a second close does nothing, as in the original
        return NONE;
      }
    });
    methods.rawset("case_receive", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue self) {
        LuaChannel c = check(self);
        return new LuaUserdata(new LuaCase(c.channel.receiveCase(), c), CASE_METATABLE);
      }
    });
    methods.rawset("case_send", new TwoArgFunction() {
      @Override
      public LuaValue call(LuaValue self, LuaValue v) {
        LuaChannel c = check(self);
        c.checkWritable();
        return new LuaUserdata(new LuaCase(c.channel.sendCase(v), c), CASE_METATABLE);
      }
    });
    LuaTable mt = LuaSandbox.protectedMetatable("channel", methods);
    mt.rawset(LuaValue.TOSTRING, new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        return valueOf("channel" + check(args.arg1()).channel);
      }
    });
    return mt;
  }

}
