package dev.troupe.lua;

import dev.troupe.api.channel.Case;
import dev.troupe.api.channel.ChannelClosedException;
import dev.troupe.api.channel.Select;
import dev.troupe.api.channel.SelectResult;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * {@code channel.new(n)} and {@code channel.select{...}}: cases are tried in the order given and the
 * first ready one wins (not at random, as in Go); {@code default = true} makes the select return
 * {@code {default = true, ok = true}} at once when none is ready.
 */
final class ChannelModule {
  private ChannelModule() {}

  static LuaTable create(LuaLock lock) {
    LuaTable m = new LuaTable();
    m.rawset("new", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        return LuaChannel.ofLua(args.optint(1, 0), lock).userdata;
      }
    });
    m.rawset("select", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        return select(args.checktable(1), args.arg(2).toboolean(), lock);
      }
    });
    return m;
  }

  private static LuaValue select(LuaTable cases, boolean defaultArg, LuaLock lock) {
    boolean withDefault = defaultArg || cases.rawget("default").toboolean();
    int n = cases.rawlen();
    Case<?>[] targets = new Case<?>[n];
    LuaChannel[] channels = new LuaChannel[n];
    for (int i = 0; i < n; i++) {
      LuaValue c = cases.rawget(i + 1);
      if (!(c.touserdata() instanceof LuaChannel.LuaCase lc)) {
        throw new LuaError("channel.select: case " + (i + 1) + " is a " + c.typename()
            + "; make cases with ch:case_receive() or ch:case_send(v)");
      }
      targets[i] = lc.target();
      channels[i] = lc.channel();
    }
    SelectResult r;
    try {
      r = withDefault ? Select.selectOrDefault(targets) : lock.blocking(() -> Select.select(targets));
    } catch (ChannelClosedException e) {
      throw new LuaError("send on closed channel");
    }
    LuaTable result = new LuaTable();
    if (r.isDefault()) {
      result.rawset("default", LuaValue.TRUE);
      result.rawset("ok", LuaValue.TRUE);
      return result;
    }
    LuaChannel won = channels[r.index()];
    result.rawset("channel", won.userdata);
    boolean send = targets[r.index()].isSend();
    result.rawset("value", send ? (LuaValue) r.value() : r.ok() ? won.convert(r.value()) : LuaValue.NIL);
    result.rawset("ok", LuaValue.valueOf(r.ok()));
    return result;
  }
}
