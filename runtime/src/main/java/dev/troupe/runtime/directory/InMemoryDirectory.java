package dev.troupe.runtime.directory;

import dev.troupe.runtime.api.ErrorCode;
import dev.troupe.runtime.api.Pid;
import dev.troupe.runtime.api.TroupeException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded directory: names, the host directory and the joined nodes, in one JVM's memory. It is
 * the registry's store and the directory of in-JVM test clusters. All state changes happen under one
 * lock and listeners are told in the order of the changes.
 */
public final class InMemoryDirectory implements Directory {
  private static final Logger LOG = LoggerFactory.getLogger(InMemoryDirectory.class);

  private final Object lock = new Object();
  private final Map<String, NodeRecord> nodes = new LinkedHashMap<>();
  private final Map<String, Pid> names = new HashMap<>();
  private final Map<String, Long> nextIdByHost = new HashMap<>();
  private final List<DirectoryListener> listeners = new CopyOnWriteArrayList<>();

  /** Adds a listener that is not a node (e.g. the registry's gRPC fan-out). */
  public void addListener(DirectoryListener listener) {
    listeners.add(listener);
  }

  public void removeListener(DirectoryListener listener) {
    listeners.remove(listener);
  }

  @Override
  public long join(NodeRecord self, Map<String, Pid> claimed, DirectoryListener listener) {
    long first;
    List<String> restored = new ArrayList<>();
    NodeRecord replaced = null;
    synchronized (lock) {
      for (String host : self.hosts()) {
        for (NodeRecord other : nodes.values()) {
          if (!other.name().equals(self.name()) && other.hosts().contains(host)) {
            throw new TroupeException(ErrorCode.ALREADY_EXISTS,
                "host " + host + " is already served by live node " + other.label()
                    + " at " + other.address() + "; stop it or choose another host name");
          }
        }
      }
      NodeRecord previous = nodes.get(self.name());
      if (previous != null && previous.incarnation() != self.incarnation()) {
        // A restarted node: its previous life is over. Tell everyone before the new one appears.
        removeNodeLocked(previous);
        replaced = previous;
      }
      for (Map.Entry<String, Pid> e : claimed.entrySet()) {
        Pid holder = names.get(e.getKey());
        if (holder == null) {
          names.put(e.getKey(), e.getValue());
          restored.add(e.getKey());
        } else if (!holder.equals(e.getValue())) {
          LOG.warn("registry: node {} claims name '{}' for {} but {} holds it; keeping {}",
              self.label(), e.getKey(), e.getValue(), holder, holder);
        }
      }
      nodes.put(self.name(), self);
      first = 1;
      for (String host : self.hosts()) {
        first = Math.max(first, nextIdByHost.getOrDefault(host, 1L));
      }
    }
    if (replaced != null) {
      fireLost(replaced, "node restarted");
    }
    if (listener != null) {
      listeners.add(listener);
    }
    for (DirectoryListener l : listeners) {
      if (l != listener) {
        l.nodeUp(self);
      }
    }
    for (String name : restored) {
      fireName(name, claimed.get(name));
    }
    LOG.info("registry: node {} joined at {} serving {} (first process id {}, {} names restored)",
        self.label(), self.address(), self.hosts(), first, restored.size());
    return first;
  }

  /** Records that {@code node} has allocated ids below {@code nextId}, so a later life starts above. */
  public void noteNextProcessId(String node, long nextId) {
    synchronized (lock) {
      NodeRecord n = nodes.get(node);
      if (n != null) {
        for (String host : n.hosts()) {
          nextIdByHost.merge(host, nextId, Math::max);
        }
      }
    }
  }

  @Override
  public void leave(NodeRecord self) {
    lose(self, "node left");
  }

  /**
   * Declares {@code node} lost (its stream broke or it fell silent). Idempotent: a later call for the
   * same incarnation, or one for an incarnation that is no longer current, does nothing.
   */
  public void lose(NodeRecord node, String reason) {
    synchronized (lock) {
      NodeRecord current = nodes.get(node.name());
      if (current == null || current.incarnation() != node.incarnation()) {
        return;
      }
      removeNodeLocked(current);
    }
    LOG.warn("registry: node {} lost: {}", node.label(), reason);
    fireLost(node, reason);
  }

  /** Removes the node and its names; caller holds the lock and fires events after releasing it. */
  private void removeNodeLocked(NodeRecord node) {
    nodes.remove(node.name());
    names.entrySet().removeIf(e -> {
      boolean gone = node.hosts().contains(e.getValue().host());
      if (gone) {
        pendingReleases.add(e.getKey());
      }
      return gone;
    });
  }

  private final List<String> pendingReleases = new ArrayList<>();

  private void fireLost(NodeRecord node, String reason) {
    List<String> released;
    synchronized (lock) {
      released = new ArrayList<>(pendingReleases);
      pendingReleases.clear();
    }
    // Names first: a monitor that learns of the loss already sees the names free.
    for (String name : released) {
      fireName(name, null);
    }
    for (DirectoryListener l : listeners) {
      l.nodeLost(node, reason);
    }
  }

  private void fireName(String name, Pid owner) {
    for (DirectoryListener l : listeners) {
      l.nameChanged(name, owner);
    }
  }

  @Override
  public Optional<NodeRecord> nodeServing(String host) {
    synchronized (lock) {
      for (NodeRecord n : nodes.values()) {
        if (n.hosts().contains(host)) {
          return Optional.of(n);
        }
      }
      return Optional.empty();
    }
  }

  @Override
  public Optional<NodeRecord> node(String name) {
    synchronized (lock) {
      return Optional.ofNullable(nodes.get(name));
    }
  }

  @Override
  public Collection<NodeRecord> nodes() {
    synchronized (lock) {
      return List.copyOf(nodes.values());
    }
  }

  @Override
  public CompletableFuture<Void> register(NodeRecord by, String name, Pid owner) {
    try {
      Names.validate(name);
      synchronized (lock) {
        checkServes(by, owner);
        Pid holder = names.get(name);
        if (holder != null) {
          if (holder.equals(owner)) {
            return CompletableFuture.completedFuture(null);
          }
          throw dev.troupe.runtime.node.Failures.nameTaken(name, holder.toString());
        }
        names.put(name, owner);
      }
      fireName(name, owner);
      return CompletableFuture.completedFuture(null);
    } catch (TroupeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void checkServes(NodeRecord by, Pid owner) {
    if (by == null) {
      return; // the registry's own calls
    }
    NodeRecord current = nodes.get(by.name());
    if (current == null || current.incarnation() != by.incarnation()) {
      throw new TroupeException(ErrorCode.PERMISSION_DENIED,
          "node " + by.label() + " has not joined the registry (or was declared lost); rejoin first");
    }
    if (!current.hosts().contains(owner.host())) {
      throw new TroupeException(ErrorCode.PERMISSION_DENIED,
          "node " + by.label() + " does not serve host " + owner.host() + " of " + owner);
    }
  }

  @Override
  public CompletableFuture<Boolean> unregister(NodeRecord by, String name, Pid owner) {
    boolean removed;
    synchronized (lock) {
      Pid holder = names.get(name);
      if (holder == null) {
        return CompletableFuture.completedFuture(false);
      }
      if (!holder.equals(owner)) {
        return CompletableFuture.failedFuture(new TroupeException(ErrorCode.PERMISSION_DENIED,
            "name '" + name + "' is held by " + holder + ", not by " + owner
                + "; only its owner can unregister it"));
      }
      removed = names.remove(name) != null;
    }
    fireName(name, null);
    return CompletableFuture.completedFuture(removed);
  }

  @Override
  public CompletableFuture<Optional<Pid>> lookup(String name) {
    synchronized (lock) {
      return CompletableFuture.completedFuture(Optional.ofNullable(names.get(name)));
    }
  }

  @Override
  public CompletableFuture<List<String>> releaseAll(NodeRecord by, Pid owner) {
    List<String> released = new ArrayList<>();
    synchronized (lock) {
      names.entrySet().removeIf(e -> {
        if (e.getValue().equals(owner)) {
          released.add(e.getKey());
          return true;
        }
        return false;
      });
    }
    for (String name : released) {
      fireName(name, null);
    }
    return CompletableFuture.completedFuture(released);
  }

  @Override
  public Map<String, Pid> names() {
    synchronized (lock) {
      return Map.copyOf(names);
    }
  }
}
