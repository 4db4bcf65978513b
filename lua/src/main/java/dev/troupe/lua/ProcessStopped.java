package dev.troupe.lua;

/**
 * Unwinds a Lua process that was terminated, or a coroutine whose process ended, through any Lua code
 * on its stack. An {@link Error}, because LuaJ's {@code pcall} catches every {@link Exception}: a
 * process must not be able to ignore its own termination.
 */
final class ProcessStopped extends Error {
  ProcessStopped() {
    super("process stopped", null, false, false);
  }
}
