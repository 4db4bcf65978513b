package dev.troupe.runtime.registry;

import dev.troupe.api.Pid;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * A node's copy of the registry's view: the live nodes and the names, fed by the registry's stream so
 * that routing and sends to names cost no round trip, and kept through a registry restart. A peer the
 * restarted registry's view lacks is still taken as live for {@code rejoinGrace}: the registry
 * restarts empty and every node rejoins it on its own schedule.
 */
public final class PeerCache {
  private final Map<String, NodeRecord> nodes = new ConcurrentHashMap<>();
  /** Bumped after every change of {@link #nodes} (see Directory#version). */
  private final AtomicLong version = new AtomicLong();
  private final Map<String, Pid> names = new ConcurrentHashMap<>();
  /** Peers the registry's latest view lacked, kept until they rejoin or {@code rejoinGrace} ends. */
  private final Map<String, AwaitedPeer> awaitingRejoin = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer;
  private final Duration rejoinGrace;
  private final BooleanSupplier closed;
  private volatile DirectoryListener listener;

  /**
   * One wait for a peer that a registry's view lacked. Compared by identity: the timer of a wait that
   * ended (the peer rejoined) must not end a later wait for the same peer, whose record is equal (a
   * registry killed twice in a row: the first wait's timer fired during the second and took a live
   * peer, about to rejoin, for lost).
   */
  private static final class AwaitedPeer {
    final NodeRecord node;

    AwaitedPeer(NodeRecord node) {
      this.node = node;
    }
  }

  /** {@code closed}: once true, no grace ending counts a peer lost (the node has left). */
  public PeerCache(ScheduledExecutorService timer, Duration rejoinGrace, BooleanSupplier closed) {
    this.timer = timer;
    this.rejoinGrace = rejoinGrace;
    this.closed = closed;
  }

  /** Who is told of peers up and lost and of every name change. */
  public void tell(DirectoryListener l) {
    this.listener = l;
  }

  /**
   * Takes the registry's view on (re)join without ever showing a live peer as missing: entries are
   * replaced in place, not cleared and refilled, and a peer the view lacks is kept for
   * {@code rejoinGrace}, since a restarted registry knows only the nodes that have rejoined it so far.
   */
  public void adoptView(String selfName, Collection<NodeRecord> viewNodes, Map<String, Pid> viewNames) {
    Map<String, NodeRecord> byName = new HashMap<>();
    viewNodes.forEach(n -> byName.put(n.name(), n));
    for (NodeRecord n : byName.values()) {
      if (n.name().equals(selfName)) {
        nodes.put(n.name(), n);
        version.incrementAndGet();
      } else {
        nodeUp(n);
      }
    }
    names.putAll(viewNames);
    for (NodeRecord cached : nodes.values()) {
      if (!byName.containsKey(cached.name()) && !cached.name().equals(selfName)) {
        AwaitedPeer wait = new AwaitedPeer(cached);
        if (awaitingRejoin.putIfAbsent(cached.name(), wait) == null) {
          timer.schedule(() -> rejoinGraceOver(wait), rejoinGrace.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
    }
    names.entrySet().removeIf(e -> !viewNames.containsKey(e.getKey()) && !awaited(e.getValue()));
  }

  private boolean awaited(Pid pid) {
    return awaitingRejoin.values().stream().anyMatch(w -> w.node.serves(pid));
  }

  /** A peer is (again) in the registry; a new incarnation replaces the old one, which is lost. */
  public void nodeUp(NodeRecord n) {
    awaitingRejoin.remove(n.name());
    NodeRecord old = nodes.put(n.name(), n);
    version.incrementAndGet();
    if (old != null && old.incarnation() != n.incarnation()) {
      names.values().removeIf(old::serves);
      listener.nodeLost(old, "node restarted as " + n.label());
    }
    if (old == null || old.incarnation() != n.incarnation()) {
      listener.nodeUp(n);
    }
  }

  /** The registry says {@code incarnation} of {@code node} is lost: forgotten, if it is the one cached. */
  public void nodeLost(String node, long incarnation, String reason) {
    NodeRecord n = nodes.get(node);
    if (n != null && n.incarnation() == incarnation) {
      forget(n, reason);
    }
  }

  private void rejoinGraceOver(AwaitedPeer wait) {
    NodeRecord n = wait.node;
    if (!closed.getAsBoolean() && awaitingRejoin.remove(n.name(), wait)) {
      forget(n, "did not rejoin the registry within " + rejoinGrace.toMillis()
          + " ms of this node rejoining it");
    }
  }

  private void forget(NodeRecord n, String reason) {
    if (nodes.remove(n.name(), n)) {
      version.incrementAndGet();
      awaitingRejoin.computeIfPresent(n.name(), (name, w) -> w.node.equals(n) ? null : w);
      names.values().removeIf(n::serves);
      listener.nodeLost(n, reason);
    }
  }

  // ---------------------------------------------------------------- nodes

  /** Changes after every change of the live nodes. */
  public long version() {
    return version.get();
  }

  public Optional<NodeRecord> nodeServing(String host) {
    for (NodeRecord n : nodes.values()) {
      if (n.hosts().contains(host)) {
        return Optional.of(n);
      }
    }
    return Optional.empty();
  }

  /** No copy: routing reads it for every message to another node. */
  public Collection<NodeRecord> liveNodes() {
    return nodes.values();
  }

  public Optional<NodeRecord> node(String name) {
    return Optional.ofNullable(nodes.get(name));
  }

  public Collection<NodeRecord> nodes() {
    return List.copyOf(nodes.values());
  }

  // ---------------------------------------------------------------- names

  /** The registry says {@code name} is now held by {@code owner} (null: released). */
  public void nameChanged(String name, Pid owner) {
    if (owner == null) {
      names.remove(name);
    } else {
      names.put(name, owner);
    }
    listener.nameChanged(name, owner);
  }

  public Pid name(String name) {
    return names.get(name);
  }

  public void named(String name, Pid owner) {
    names.put(name, owner);
  }

  public void unnamed(String name, Pid owner) {
    names.remove(name, owner);
  }

  /** Forgets the names {@code owner} held (it exited: its EXIT is on its way). */
  public void evict(Pid owner) {
    names.values().removeIf(owner::equals);
  }

  public Map<String, Pid> names() {
    return Map.copyOf(names);
  }
}
