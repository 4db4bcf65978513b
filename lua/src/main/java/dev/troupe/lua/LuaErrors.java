package dev.troupe.lua;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaUserdata;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;

/**
 * Error objects, as the original's calls return them in {@code nil, err}: {@code tostring(err)} and
 * {@code "text" .. err} give the message, {@code err:message()} and {@code err:kind()} its parts.
 */
final class LuaErrors {
  /** @param kind e.g. NOT_FOUND, INVALID, ALREADY_EXISTS; @param message what went wrong */
  record ErrorValue(String kind, String message) {}

  private static final LuaTable METATABLE = metatable();

  private LuaErrors() {}

  static LuaValue of(String kind, String message) {
    return new LuaUserdata(new ErrorValue(kind, message), METATABLE);
  }

  static LuaValue of(TroupeException e) {
    return of(kind(e.code()), e.getMessage());
  }

  /** {@code nil, err}: how every call of the original reports a failure. */
  static Varargs failure(TroupeException e) {
    return LuaValue.varargsOf(LuaValue.NIL, of(e));
  }

  static Varargs failure(String kind, String message) {
    return LuaValue.varargsOf(LuaValue.NIL, of(kind, message));
  }

  /** The original's kinds: the canonical codes, with INVALID for an invalid argument. */
  static String kind(ErrorCode code) {
    return code == ErrorCode.INVALID_ARGUMENT ? "INVALID" : code.name();
  }

  /** The message of an error value, or the text of any other value (an exit's error, say). */
  static String message(LuaValue v) {
    return v.touserdata() instanceof ErrorValue e ? e.message() : v.tojstring();
  }

  private static LuaTable metatable() {
    LuaTable methods = new LuaTable();
    methods.rawset("message", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue self) {
        return valueOf(((ErrorValue) self.checkuserdata(ErrorValue.class)).message());
      }
    });
    methods.rawset("kind", new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue self) {
        return valueOf(((ErrorValue) self.checkuserdata(ErrorValue.class)).kind());
      }
    });
    // Shared by every process of the JVM: getmetatable(err) must not hand it out to be changed.
    LuaTable mt = LuaSandbox.protectedMetatable("error", methods);
    mt.rawset(LuaValue.TOSTRING, new OneArgFunction() {
      @Override
      public LuaValue call(LuaValue self) {
        return valueOf(message(self));
      }
    });
    mt.rawset(LuaValue.valueOf("__concat"), new TwoArgFunction() {
      @Override
      public LuaValue call(LuaValue a, LuaValue b) {
        return valueOf(message(a) + message(b));
      }
    });
    return mt;
  }
}
