package dev.troupe.lua;

import dev.troupe.api.ProcessContext;
import dev.troupe.api.ProcessEntry;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A {@code process.lua} entry as a {@link ProcessEntry}: each process it starts gets a Lua state of its
 * own, made from the entry's compiled script. Stateless: one instance serves every process.
 */
public final class LuaEntry implements ProcessEntry {
  private final LuaScript script;
  private final Terminal terminal;
  private final Duration loopReport;

  /**
   * @param terminal where {@code io} reads and writes for a terminal host's process; null on a process
   *     host (then {@code print} and {@code io.write} go to the log)
   */
  public LuaEntry(LuaScript script, Terminal terminal) {
    this(script, terminal, InstructionGuard.DEFAULT_LOOP_REPORT);
  }

  /** @param loopReport how long a process may run without blocking before it is logged as looping */
  public LuaEntry(LuaScript script, Terminal terminal, Duration loopReport) {
    this.script = Objects.requireNonNull(script, "script");
    this.terminal = terminal;
    this.loopReport = loopReport;
  }

  public LuaScript script() {
    return script;
  }

  @Override
  public Object main(ProcessContext process, List<Object> args) throws Exception {
    return new LuaProcess(script, process, terminal, loopReport).run(args);
  }
}
