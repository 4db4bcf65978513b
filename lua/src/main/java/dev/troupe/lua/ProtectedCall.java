package dev.troupe.lua;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

/**
 * {@code pcall} and {@code xpcall} of Troupe's own, in place of LuaJ's: they catch Lua errors (and a
 * stack overflow, as Lua does), never a process being stopped; they give an error's message as Lua
 * does ({@code worker.lua:6: boom}); and {@code xpcall}'s handler runs after the failed call, with no
 * state shared between coroutines (LuaJ keeps the handler in the state, where one coroutine's
 * replaces another's, and runs it in a catch-all that swallowed the stop of a terminated process).
 */
final class ProtectedCall extends VarArgFunction {
  private final boolean withHandler;

  private ProtectedCall(boolean withHandler) {
    this.withHandler = withHandler;
  }

  static ProtectedCall pcall() {
    return new ProtectedCall(false);
  }

  static ProtectedCall xpcall() {
    return new ProtectedCall(true);
  }

  @Override
  public Varargs invoke(Varargs args) {
    LuaValue f = args.checkvalue(1);
    LuaValue handler = withHandler ? args.checkfunction(2) : NIL;
    Varargs rest = args.subargs(withHandler ? 3 : 2);
    LuaValue error;
    try {
      return varargsOf(TRUE, f.invoke(rest));
    } catch (LuaError e) {
      error = errorValue(e);
    } catch (StackOverflowError e) {
      error = valueOf("stack overflow");
    } catch (RuntimeException e) {
      error = valueOf(e.toString());
    }
    return varargsOf(FALSE, withHandler ? handler.invoke(error) : error);
  }

  /** What Lua gives a handler: the value raised, or for a message its text with the position. */
  static LuaValue errorValue(LuaError e) {
    LuaValue o = e.getMessageObject();
    if (o != null && !o.isstring()) {
      return o;
    }
    return valueOf(LuaProcess.message(e));
  }
}
