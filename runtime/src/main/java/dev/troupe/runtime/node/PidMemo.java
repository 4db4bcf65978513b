package dev.troupe.runtime.node;

import dev.troupe.api.Pid;

/**
 * The last PID text parsed, and its PID: the messages of one stream mostly go where its last one went,
 * and comparing two strings costs a fraction of parsing one. One per stream, used by the thread that
 * reads it; not thread-safe.
 */
public final class PidMemo {
  private String text = "";
  private Pid pid;

  /** {@link Pid#parse}, without parsing the text the last call parsed. */
  public Pid parse(String pidText) {
    if (!pidText.equals(text)) {
      pid = Pid.parse(pidText);
      text = pidText;
    }
    return pid;
  }
}
