package dev.troupe.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Tells the user what happens to the CLI's connection, one line each: lost (once per outage),
 * restored (with the new PID), or given up. Each names the node and address the CLI is attached to
 * (by default the relay's node), so that the user knows which process went away. Not indented, so
 * that they never read as a line's answer.
 */
final class ConnectionNotices implements NodeConnection.Listener {
  private final String address;
  private final Style style;
  private final Consumer<String> printer;

  /**
   * @param address where the CLI attaches ({@code --connect}): named when no node answers there
   * @param printer prints one line, above the prompt when a terminal is reading one
   */
  ConnectionNotices(String address, Style style, Consumer<String> printer) {
    this.address = address;
    this.style = style;
    this.printer = printer;
  }

  @Override
  public void lost(EchoLink old, String reason) {
    printer.accept(style.dim("connection to " + old.where() + " lost (" + reason + "); re-attaching"));
  }

  @Override
  public void restored(EchoLink old, EchoLink now, Duration outage) {
    printer.accept(style.dim("re-attached to " + now.where() + " after " + seconds(outage)
        + ": new PID " + now.pid() + " (was " + old.pid() + ")"));
  }

  @Override
  public void gaveUp(EchoLink old, Duration outage, String lastError) {
    printer.accept(style.dim("gave up re-attaching: no Troupe node answered at " + address
        + " for " + seconds(outage) + " (" + lastError + "); is the topology up (scripts/troupe status)?"));
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }
}
