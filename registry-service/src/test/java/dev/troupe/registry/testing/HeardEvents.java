package dev.troupe.registry.testing;

import dev.troupe.api.Pid;
import dev.troupe.runtime.registry.DirectoryListener;
import dev.troupe.runtime.registry.NodeRecord;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a directory listener heard, as text in the order heard: "up NODE", "lost NODE: REASON",
 * "name NAME=PID" and "name NAME=free".
 */
public final class HeardEvents implements DirectoryListener {
  private final List<String> events = new CopyOnWriteArrayList<>();

  public List<String> events() {
    return events;
  }

  /** The first "lost NODE: ..." heard, if any. */
  public java.util.Optional<String> lost(String node) {
    return events.stream().filter(e -> e.startsWith("lost " + node + ":")).findFirst();
  }

  @Override
  public void nodeUp(NodeRecord node) {
    events.add("up " + node.name());
  }

  @Override
  public void nodeLost(NodeRecord node, String reason) {
    events.add("lost " + node.name() + ": " + reason);
  }

  @Override
  public void nameChanged(String name, Pid owner) {
    events.add("name " + name + "=" + (owner == null ? "free" : owner.toString()));
  }
}
