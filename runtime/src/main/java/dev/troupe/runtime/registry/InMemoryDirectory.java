package dev.troupe.runtime.registry;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Failures;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded directory: names, the host directory and the joined nodes, in one JVM's memory. It is
 * the registry's store and the directory of in-JVM test clusters. All state changes happen under one
 * lock, and each change queues its event under that same lock; the queue is then drained by one
 * thread at a time, so every listener hears of the changes in the order they were made. (Firing after
 * the lock without the queue let two threads tell a listener "B up" after "B lost", and a node's
 * cache keep a dead peer, or drop a live one, until the next change.)
 */
public final class InMemoryDirectory implements RegistryStore {
  private static final Logger LOG = LoggerFactory.getLogger(InMemoryDirectory.class);

  /**
   * How far above an earlier life's last reported id a restarted node starts: more ids than any node
   * hands out between two heartbeats (500 ms), so that none given out after its last heartbeat is
   * handed out again.
   */
  public static final long RESTART_ID_GAP = 1L << 20;

  private final Object lock = new Object();
  private final Map<String, NodeRecord> nodes = new LinkedHashMap<>();
  /** Bumped (under the lock) after every change of {@link #nodes}: see Directory#version. */
  private volatile long version;
  private final Map<String, Pid> names = new HashMap<>();
  private final Map<String, Long> nextIdByHost = new HashMap<>();
  /** Each live node's token (NodeCredentials), by name: issued when it joins, dropped when it goes. */
  private final Map<String, byte[]> tokens = new HashMap<>();
  /**
   * How many ended incarnations the registry remembers, to refuse their return: the oldest are
   * forgotten first (an incarnation that comes back after thousands of others ended is very unlikely,
   * and a registry that restarted remembers none, as it cannot know).
   */
  static final int ENDED_INCARNATIONS_KEPT = 4096;
  /** "name#incarnation" of the nodes removed: their processes were reported dead to everyone. */
  private final Map<String, Boolean> ended = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > ENDED_INCARNATIONS_KEPT;
    }
  };
  private final List<DirectoryListener> listeners = new CopyOnWriteArrayList<>();
  /** Events of changes made, in change order; appended under {@link #lock}. */
  private final Queue<Event> events = new ConcurrentLinkedQueue<>();
  private final AtomicInteger draining = new AtomicInteger();

  /** One change to tell listeners of; {@code except} (the node that caused it) is not told. */
  private record Event(Consumer<DirectoryListener> tell, DirectoryListener except) {}

  @Override
  public void addListener(DirectoryListener listener) {
    listeners.add(listener);
  }

  @Override
  public void removeListener(DirectoryListener listener) {
    listeners.remove(listener);
  }

  /**
   * Joins {@code self}. {@code listener} is registered in the same step as the join, so it hears of
   * every change made after it: a view read from {@link #nodes()} and {@link #names()} once this
   * returns, followed by the events the listener gets, is complete (events of changes the view
   * already shows may come too; they are idempotent).
   */
  @Override
  public long join(NodeRecord announced, Map<String, Pid> claimed, DirectoryListener listener,
      byte[] previousToken) {
    long moved = moveSession(announced, listener, previousToken);
    if (moved > 0) {
      return moved;
    }
    long first;
    int restored = 0;
    NodeRecord self;
    synchronized (lock) {
      for (String host : announced.hosts()) {
        for (NodeRecord other : nodes.values()) {
          if (!other.name().equals(announced.name()) && other.hosts().contains(host)) {
            throw new TroupeException(ErrorCode.ALREADY_EXISTS,
                "host " + host + " is already served by live node " + other.label()
                    + " at " + other.address() + "; stop it or choose another host name");
          }
        }
      }
      if (ended.containsKey(announced.label())) {
        // It was declared lost (or left) and comes back on a new stream, e.g. after a partition healed:
        // its processes were reported dead everywhere, so it must stop rather than carry on.
        throw Failures.declaredLost(announced.name(), announced.incarnation(), announced.label());
      }
      NodeRecord live = nodes.get(announced.name());
      if (live != null && live.incarnation() == announced.incarnation()) {
        throw new TroupeException(ErrorCode.UNAVAILABLE, "node " + live.label() + " is live and the join does"
            + " not prove it is that node (no token of its session); a node of that name may join once it is gone");
      }
      self = withShardLocked(announced);
      NodeRecord previous = nodes.get(self.name());
      if (previous != null && previous.incarnation() != self.incarnation()) {
        // A restarted node: its previous life is over. Tell everyone before the new one appears.
        removeNodeLocked(previous, "node restarted");
      }
      if (listener != null) {
        listeners.add(listener);
      }
      nodes.put(self.name(), self);
      version++;
      tokens.put(self.name(), NodeCredentials.newToken()); // a rejoin gets a new one: the old may have leaked
      NodeRecord up = self;
      publishLocked(l -> l.nodeUp(up), listener);
      for (Map.Entry<String, Pid> e : claimed.entrySet()) {
        Pid holder = names.get(e.getKey());
        if (!self.serves(e.getValue())) {
          // A node restores the names of its own processes, never plants one on another's.
          LOG.warn("registry: node {} claims name '{}' for {}, a PID it does not serve; ignored",
              self.label(), e.getKey(), e.getValue());
        } else if (holder == null) {
          names.put(e.getKey(), e.getValue());
          publishName(e.getKey(), e.getValue());
          restored++;
        } else if (!holder.equals(e.getValue())) {
          LOG.warn("registry: node {} claims name '{}' for {} but {} holds it; keeping {}",
              self.label(), e.getKey(), e.getValue(), holder, holder);
        }
      }
      if (self.shard() != null) {
        first = self.shard().firstId();
      } else {
        first = 1;
        for (String host : self.hosts()) {
          first = Math.max(first, nextIdByHost.getOrDefault(host, 1L));
        }
        if (first > 1) {
          // An earlier life used these hosts. Its last heartbeat may predate ids it gave out since
          // (a client that attached just before the crash): skip far enough that none comes back.
          first += RESTART_ID_GAP;
        }
      }
    }
    dispatch();
    LOG.info("registry: node {} joined at {} serving {}{} (first process id {}, {} names restored)",
        self.label(), self.address(), self.hosts(), self.shard() == null ? ""
            : " and ids [" + Pid.formatId(self.shard().firstId()) + ", " + Pid.formatId(self.shard().endId())
                + ") of " + self.shard().host(), Pid.formatId(first), restored);
    return first;
  }

  /**
   * A member's record with its range: a new member gets the next whole span above every id its host
   * has used; a member that rejoins (after a registry restart) keeps the range it has, unless a live
   * member holds an overlapping one. Either way the host's ids stay above the range. Caller holds the lock.
   */
  private NodeRecord withShardLocked(NodeRecord n) {
    Shard shard = n.shard();
    if (shard == null) {
      return n;
    }
    NodeRecord assigned = n.withShardFrom(Shard.firstAbove(nextIdByHost.getOrDefault(shard.host(), 1L)));
    for (NodeRecord other : nodes.values()) {
      if (!other.name().equals(n.name()) && other.shard() != null && other.shard().overlaps(assigned.shard())) {
        throw new TroupeException(ErrorCode.ALREADY_EXISTS, "ids [" + assigned.shard().firstId() + ", "
            + assigned.shard().endId() + ") of " + shard.host() + " are served by live node " + other.label());
      }
    }
    nextIdByHost.merge(shard.host(), assigned.shard().endId(), Math::max);
    return assigned;
  }

  /**
   * The same life opens a new session (its stream moved) if {@code previousToken} proves it: a new
   * token, nothing else changes, and its peers hear of it again (the tickets they show it are made
   * with its token). Returns the first id it may allocate, or 0 if this is no such move.
   */
  private long moveSession(NodeRecord announced, DirectoryListener listener, byte[] previousToken) {
    long first;
    synchronized (lock) {
      NodeRecord live = nodes.get(announced.name());
      if (live == null || live.incarnation() != announced.incarnation()
          || !NodeCredentials.matches(tokens.get(live.name()), previousToken)) {
        return 0;
      }
      if (listener != null) {
        listeners.add(listener);
      }
      tokens.put(live.name(), NodeCredentials.newToken());
      publishLocked(l -> l.nodeUp(live), listener);
      first = live.shard() != null ? live.shard().firstId() : takeOverFirstIdLocked(live);
    }
    dispatch();
    return first;
  }

  /** A node that moves its session keeps allocating where it is: the id it last reported. */
  private long takeOverFirstIdLocked(NodeRecord live) {
    long first = 1;
    for (String host : live.hosts()) {
      first = Math.max(first, nextIdByHost.getOrDefault(host, 1L));
    }
    return first;
  }

  @Override
  public void noteNextProcessId(String node, long nextId) {
    synchronized (lock) {
      NodeRecord n = nodes.get(node);
      if (n != null) {
        for (String host : n.hosts()) {
          nextIdByHost.merge(host, nextId, Math::max);
        }
        if (n.shard() != null) {
          nextIdByHost.merge(n.shard().host(), nextId, Math::max);
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
  @Override
  public void declareLost(NodeRecord by, String member, long incarnation, String reason) {
    NodeRecord current;
    synchronized (lock) {
      current = nodes.get(member);
      if (current == null || (incarnation != 0 && current.incarnation() != incarnation)) {
        LOG.info("registry: {} reported {}#{} lost ({}), but it is already gone (live: {})", by.label(), member,
            Long.toHexString(incarnation), reason, current == null ? "none" : current.label());
        return;
      }
      if (current.shard() == null || !current.shard().owner().equals(by.name())) {
        LOG.warn("registry: node {} reported {} lost, but it does not own it; ignored", by.label(), current.label());
        return;
      }
    }
    lose(current, reason);
  }

  @Override
  public void endSession(NodeRecord node, byte[] token, String reason) {
    synchronized (lock) {
      NodeRecord current = nodes.get(node.name());
      if (current == null || current.incarnation() != node.incarnation()
          || !NodeCredentials.matches(tokens.get(node.name()), token)) {
        return;
      }
    }
    lose(node, reason);
  }

  @Override
  public void lose(NodeRecord node, String reason) {
    synchronized (lock) {
      NodeRecord current = nodes.get(node.name());
      if (current == null || current.incarnation() != node.incarnation()) {
        return;
      }
      removeNodeLocked(current, reason);
    }
    dispatch(); // first: the log line costs more than telling every node, on this rarely run path
    LOG.warn("registry: node {} lost: {}", node.label(), reason);
  }

  /** Removes the node and its names; names are released first, so a monitor that learns of the
   * loss already sees them free. Caller holds the lock. */
  private void removeNodeLocked(NodeRecord node, String reason) {
    nodes.remove(node.name());
    version++;
    ended.put(node.label(), Boolean.TRUE);
    tokens.remove(node.name());
    names.entrySet().removeIf(e -> {
      boolean gone = node.serves(e.getValue());
      if (gone) {
        publishName(e.getKey(), null);
      }
      return gone;
    });
    publishLocked(l -> l.nodeLost(node, reason), null);
    // Worker JVMs never outlive their launcher: they go with it (they halt when it ends).
    for (NodeRecord m : List.copyOf(nodes.values())) {
      if (m.shard() != null && m.shard().owner().equals(node.name())) {
        removeNodeLocked(m, "node lost: " + node.name() + " (" + reason + ")");
      }
    }
  }

  private void publishName(String name, Pid owner) {
    publishLocked(l -> l.nameChanged(name, owner), null);
  }

  /** Queues an event; caller holds the lock, so the queue's order is the order of the changes. */
  private void publishLocked(Consumer<DirectoryListener> tell, DirectoryListener except) {
    events.add(new Event(tell, except));
  }

  /**
   * Tells listeners of queued events, in order. One thread drains at a time; a thread that finds
   * another draining leaves its events to it, so no caller blocks on a slow listener's peer and a
   * listener that calls back into the directory cannot deadlock or reorder.
   */
  private void dispatch() {
    if (draining.getAndIncrement() != 0) {
      return;
    }
    int missed = 1;
    for (;;) {
      Event e;
      while ((e = events.poll()) != null) {
        for (DirectoryListener l : listeners) {
          if (l != e.except()) {
            e.tell().accept(l);
          }
        }
      }
      missed = draining.addAndGet(-missed);
      if (missed == 0) {
        return;
      }
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
  public long version() {
    return version;
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
          throw dev.troupe.client.wire.Failures.nameTaken(name, holder.toString());
        }
        names.put(name, owner);
        publishName(name, owner);
      }
      dispatch();
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
    if (!current.serves(owner)) {
      throw new TroupeException(ErrorCode.PERMISSION_DENIED,
          "node " + by.label() + " does not serve host " + owner.host() + " of " + owner);
    }
  }

  @Override
  public CompletableFuture<Boolean> unregister(NodeRecord by, String name, Pid owner) {
    boolean removed;
    synchronized (lock) {
      try {
        checkServes(by, owner);
      } catch (TroupeException e) {
        return CompletableFuture.failedFuture(e);
      }
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
      publishName(name, null);
    }
    dispatch();
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
      try {
        checkServes(by, owner);
      } catch (TroupeException e) {
        return CompletableFuture.failedFuture(e);
      }
      names.entrySet().removeIf(e -> {
        if (e.getValue().equals(owner)) {
          released.add(e.getKey());
          publishName(e.getKey(), null);
          return true;
        }
        return false;
      });
    }
    dispatch();
    return CompletableFuture.completedFuture(released);
  }

  @Override
  public Optional<byte[]> token(NodeRecord node) {
    synchronized (lock) {
      NodeRecord current = nodes.get(node.name());
      return current == null || current.incarnation() != node.incarnation()
          ? Optional.empty() : Optional.ofNullable(tokens.get(node.name()));
    }
  }

  @Override
  public Optional<NodeRecord> authenticate(String name, byte[] token) {
    synchronized (lock) {
      NodeRecord current = nodes.get(name);
      return current != null && NodeCredentials.matches(tokens.get(name), token)
          ? Optional.of(current) : Optional.empty();
    }
  }

  @Override
  public byte[] peerTicket(NodeRecord self, NodeRecord peer) {
    synchronized (lock) {
      NodeRecord current = nodes.get(peer.name());
      NodeRecord holder = nodes.getOrDefault(self.name(), self);
      if (current == null || current.incarnation() != peer.incarnation() || holder.incarnation() != self.incarnation()) {
        return NodeCredentials.none();
      }
      return NodeCredentials.ticket(tokens.get(peer.name()), holder, current);
    }
  }

  @Override
  public boolean admitsPeer(NodeRecord self, NodeRecord claimed, byte[] ticket) {
    byte[] token;
    synchronized (lock) {
      NodeRecord current = nodes.get(self.name());
      if (current == null || current.incarnation() != self.incarnation()) {
        return false;
      }
      token = tokens.get(self.name());
    }
    return NodeCredentials.matches(NodeCredentials.ticket(token, claimed, self), ticket);
  }

  @Override
  public Map<String, Pid> names() {
    synchronized (lock) {
      return Map.copyOf(names);
    }
  }
}
