package dev.troupe.lua;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The modules an entry may list, as in the original's {@code modules:}. */
public final class LuaModules {
  public static final String PROCESS = "process";
  public static final String CHANNEL = "channel";
  public static final String TIME = "time";
  public static final String LOGGER = "logger";
  public static final String IO = "io";

  /**
   * Every module Troupe has. {@code channel} and {@code coroutine} are globals of every process, as in
   * the original; listing {@code channel} is allowed and changes nothing.
   */
  public static final Set<String> NAMES = Set.of(PROCESS, CHANNEL, TIME, LOGGER, IO);

  private LuaModules() {}

  static void checkKnown(String id, List<String> modules) {
    for (String m : modules) {
      if (!NAMES.contains(m)) {
        throw new IllegalArgumentException(id + ": module '" + m + "' is not one Troupe has; use some of "
            + new TreeSet<>(NAMES));
      }
    }
  }
}
