package dev.troupe.runtime.node;

import dev.troupe.api.Pid;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A live process on this node, as the node sees it: where its frames go, who monitors it, what it
 * links to and monitors, and the names it holds. Sets are guarded by this object's monitor; the exit
 * path takes a snapshot under the same monitor, so a monitor added after that fails with NOT_FOUND
 * instead of being silently lost.
 */
public final class LocalProcess {
  private final Pid pid;
  private final String text;
  private final String entry;
  private final String label;
  private volatile FrameSink sink;
  private volatile boolean trapLinks;
  private boolean alive = true;
  private final Set<Pid> watchers = new LinkedHashSet<>();
  private final Set<Pid> monitoring = new HashSet<>();
  private final Set<Pid> links = new LinkedHashSet<>();
  private final Set<String> names = new HashSet<>();
  private final long startedAtMs = System.currentTimeMillis();

  LocalProcess(Pid pid, String entry, String label, FrameSink sink) {
    this.pid = pid;
    this.text = pid.toString();
    this.entry = entry;
    this.label = label;
    this.sink = sink;
  }

  public Pid pid() {
    return pid;
  }

  /** The PID's text form, computed once: it is stamped on every message this process sends. */
  public String pidText() {
    return text;
  }

  /** When it started, in ms since the epoch. */
  public long startedAtMs() {
    return startedAtMs;
  }

  /** What it is related to now, for operators: copies, taken under its lock. */
  public record Relations(List<Pid> monitoredBy, List<Pid> monitoring, List<Pid> links, List<String> names) {}

  public synchronized Relations relations() {
    return new Relations(List.copyOf(watchers), List.copyOf(monitoring), List.copyOf(links), List.copyOf(names));
  }

  public String entry() {
    return entry;
  }

  public String label() {
    return label;
  }

  public FrameSink sink() {
    return sink;
  }

  public void sink(FrameSink newSink) {
    this.sink = newSink;
  }

  public boolean trapLinks() {
    return trapLinks;
  }

  void trapLinks(boolean value) {
    this.trapLinks = value;
  }

  public synchronized boolean alive() {
    return alive;
  }

  /** Adds a watcher if alive. @return 1 added, 0 already there, -1 dead */
  synchronized int addWatcher(Pid watcher) {
    if (!alive) {
      return -1;
    }
    return watchers.add(watcher) ? 1 : 0;
  }

  synchronized void removeWatcher(Pid watcher) {
    watchers.remove(watcher);
  }

  /** Adds a link if alive. @return false if dead */
  synchronized boolean addLink(Pid other) {
    if (!alive) {
      return false;
    }
    links.add(other);
    return true;
  }

  synchronized boolean removeLink(Pid other) {
    return links.remove(other);
  }

  synchronized boolean hasLink(Pid other) {
    return links.contains(other);
  }

  synchronized void addMonitoring(Pid target) {
    monitoring.add(target);
  }

  synchronized boolean isMonitoring(Pid target) {
    return monitoring.contains(target);
  }

  synchronized boolean removeMonitoring(Pid target) {
    return monitoring.remove(target);
  }

  synchronized void addName(String name) {
    names.add(name);
  }

  synchronized void removeName(String name) {
    names.remove(name);
  }

  synchronized boolean holdsNames() {
    return !names.isEmpty();
  }

  /** Everything the exit path needs, taken once. */
  record Departure(List<Pid> watchers, List<Pid> monitoring, List<Pid> links) {}

  /** Marks the process dead. @return its relations, or null if it was already dead */
  synchronized Departure die() {
    if (!alive) {
      return null;
    }
    alive = false;
    Departure d = new Departure(List.copyOf(watchers), List.copyOf(monitoring), List.copyOf(links));
    watchers.clear();
    monitoring.clear();
    links.clear();
    return d;
  }

  /** Relations that point at processes of {@code hosts} (a lost node), removed and returned. */
  synchronized Departure detachFrom(java.util.function.Predicate<Pid> onLostNode) {
    List<Pid> w = extract(watchers, onLostNode);
    List<Pid> m = extract(monitoring, onLostNode);
    List<Pid> l = extract(links, onLostNode);
    return new Departure(w, m, l);
  }

  private static List<Pid> extract(Set<Pid> set, java.util.function.Predicate<Pid> onLostNode) {
    List<Pid> out = new java.util.ArrayList<>();
    set.removeIf(p -> {
      boolean match = onLostNode.test(p);
      if (match) {
        out.add(p);
      }
      return match;
    });
    return out;
  }

  @Override
  public String toString() {
    return text;
  }
}
