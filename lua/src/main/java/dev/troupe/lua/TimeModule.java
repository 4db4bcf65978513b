package dev.troupe.lua;

import dev.troupe.api.channel.Time;
import java.time.Duration;
import java.time.Instant;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.VarArgFunction;
import org.luaj.vm2.lib.ZeroArgFunction;

/**
 * {@code time.sleep(d)} (blocks only the calling coroutine), {@code time.after(d)} (a channel that
 * receives the time once, then reads as closed), {@code time.now()} (Unix seconds) and the unit
 * constants ({@code time.SECOND} is 1e9: a number duration is nanoseconds).
 */
final class TimeModule {
  private TimeModule() {}

  static LuaTable create(LuaLock lock) {
    LuaTable m = new LuaTable();
    m.rawset("sleep", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue d) {
        Duration duration = Durations.of(d);
        lock.blocking(() -> {
          Time.sleep(duration);
          return null;
        });
        return NONE;
      }
    });
    m.rawset("after", new VarArgFunction() {
      @Override
      public Varargs invoke(Varargs args) {
        Duration d = Durations.of(args.arg1());
        if (d.isNegative() || d.isZero()) {
          return LuaErrors.failure("INVALID", "time.after needs a positive duration, got " + args.arg1().tojstring());
        }
        return LuaChannel.ofProcess(Time.after(d), i -> seconds((Instant) i), lock).userdata;
      }
    });
    m.rawset("now", new ZeroArgFunction() {
      @Override
      public LuaValue call() {
        return seconds(Instant.now());
      }
    });
    m.rawset("NANOSECOND", LuaValue.valueOf(1));
    m.rawset("MICROSECOND", LuaValue.valueOf(1e3));
    m.rawset("MILLISECOND", LuaValue.valueOf(1e6));
    m.rawset("SECOND", LuaValue.valueOf(1e9));
    m.rawset("MINUTE", LuaValue.valueOf(60e9));
    m.rawset("HOUR", LuaValue.valueOf(3600e9));
    return m;
  }

  private static LuaValue seconds(Instant i) {
    return LuaValue.valueOf(i.getEpochSecond() + i.getNano() / 1e9);
  }
}
