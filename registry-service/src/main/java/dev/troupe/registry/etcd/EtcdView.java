package dev.troupe.registry.etcd;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.runtime.registry.DirectoryListener;
import dev.troupe.runtime.registry.NodeRecord;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's view of the directory in etcd: read once, then kept by a watch from the revision it
 * read at, so every replica sees every change in etcd's order and tells its listeners (the streams of
 * the nodes it serves) in that order. Within one revision (a lease revoked: a node and all its names)
 * names are released before the node is lost, as the in-memory store does, so a monitor that learns of
 * the loss already sees them free. A watch cancelled because etcd compacted past it reads everything
 * again and tells listeners the difference.
 */
final class EtcdView implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdView.class);
  private static final int ENDED_REASONS_KEPT = 1024;

  private final EtcdClient etcd;
  private final EtcdKeys keys;
  private final ScheduledExecutorService timer;
  private final List<DirectoryListener> listeners = new CopyOnWriteArrayList<>();
  /** Replaced whole by a resync, so that readers never see a half-read directory. */
  private volatile Map<String, StoredNode> nodes = new ConcurrentHashMap<>();
  private volatile Map<String, Pid> names = new ConcurrentHashMap<>();
  private final Map<String, Long> nextIds = new ConcurrentHashMap<>();
  /** Why recent lives ended ("name#incarnation"), read from their ended keys, for the nodeLost event. */
  private final Map<String, String> endedReasons = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > ENDED_REASONS_KEPT;
    }
  };
  private final Object appliedLock = new Object();
  private long applied;
  private volatile boolean closed;
  private StreamObserver<WatchRequest> watch;
  /** Which watch stream is current: callbacks of an earlier one (cancelled, broken) are ignored. */
  private final java.util.concurrent.atomic.AtomicInteger watchGeneration = new java.util.concurrent.atomic.AtomicInteger();

  EtcdView(EtcdClient etcd, EtcdKeys keys, ScheduledExecutorService timer) {
    this.etcd = etcd;
    this.keys = keys;
    this.timer = timer;
  }

  /** Reads the directory and starts watching it. */
  void start() {
    RangeResponse all = etcd.getPrefix(keys.all());
    synchronized (this) {
      for (KeyValue kv : all.getKvsList()) {
        put(nodes, names, kv, false);
      }
    }
    advance(all.getHeader().getRevision());
    LOG.info("etcd: read {} nodes and {} names at revision {} from {}", nodes.size(), names.size(),
        all.getHeader().getRevision(), etcd.endpoint());
    watchFrom(all.getHeader().getRevision() + 1);
  }

  void addListener(DirectoryListener l) {
    listeners.add(l);
  }

  void removeListener(DirectoryListener l) {
    listeners.remove(l);
  }

  Map<String, StoredNode> nodes() {
    return nodes;
  }

  Map<String, Pid> names() {
    return names;
  }

  long nextId(String host) {
    return nextIds.getOrDefault(host, 1L);
  }

  /** Waits until this view holds every change up to {@code revision} (one this replica wrote). */
  void awaitRevision(long revision, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (appliedLock) {
      while (applied < revision) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || closed) {
          throw new TroupeException(ErrorCode.UNAVAILABLE, "the registry's watch of etcd did not reach revision "
              + revision + " within " + timeout.toMillis() + " ms (it is at " + applied + ")");
        }
        try {
          appliedLock.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new TroupeException(ErrorCode.CANCELLED, "interrupted while waiting for etcd's watch");
        }
      }
    }
  }

  private void advance(long revision) {
    synchronized (appliedLock) {
      if (revision > applied) {
        applied = revision;
        appliedLock.notifyAll();
      }
    }
  }

  long applied() {
    synchronized (appliedLock) {
      return applied;
    }
  }

  private void watchFrom(long revision) {
    if (closed) {
      return;
    }
    ManagedChannel ch = etcd.channel();
    int generation = watchGeneration.incrementAndGet();
    endWatch();
    // "hasleader": etcd ends the stream when its member loses the leader, so a watch on a member cut
    // off from the quorum does not go silent but moves to another member.
    StreamObserver<WatchRequest> w = WatchGrpc.newStub(ch).withInterceptors(EtcdClient.REQUIRE_LEADER)
        .watch(new StreamObserver<>() {
      @Override
      public void onNext(WatchResponse r) {
        if (generation != watchGeneration.get()) {
          return;
        }
        if (r.getCanceled()) {
          if (r.getCompactRevision() > 0) {
            LOG.warn("etcd: the watch fell behind a compaction (at {}); reading the directory again",
                r.getCompactRevision());
            resync();
          } else {
            LOG.warn("etcd: the watch was cancelled ({}); watching again", r.getCancelReason());
            retry(ch);
          }
          return;
        }
        applyEvents(r.getEventsList());
        if (r.getEventsCount() == 0 && r.getHeader().getRevision() > 0 && !r.getCreated()) {
          advance(r.getHeader().getRevision()); // a progress notice
        }
      }

      @Override
      public void onError(Throwable t) {
        if (!closed && generation == watchGeneration.get()) {
          LOG.warn("etcd: the watch broke ({}); watching again from revision {}", t.toString(), applied() + 1);
          retry(ch);
        }
      }

      @Override
      public void onCompleted() {
        onError(new IllegalStateException("closed by etcd"));
      }
    });
    synchronized (this) {
      watch = w;
    }
    w.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder().setKey(keys.all())
        .setRangeEnd(EtcdKeys.rangeEnd(keys.all())).setStartRevision(revision).setPrevKv(true)
        .setProgressNotify(true)).build());
  }

  private void retry(ManagedChannel broken) {
    etcd.failed(broken);
    timer.schedule(() -> watchFrom(applied() + 1), 100, TimeUnit.MILLISECONDS);
  }

  /**
   * Reads everything again and tells listeners what changed meanwhile; on a thread of its own, as the
   * read may take the call timeout and the timer thread keeps leases alive.
   */
  private void resync() {
    watchGeneration.incrementAndGet(); // the cancelled stream says nothing more
    Thread.ofVirtual().name("etcd-resync").start(() -> {
      RangeResponse all;
      try {
        all = etcd.getPrefix(keys.all());
      } catch (TroupeException e) {
        LOG.warn("etcd: reading the directory again failed ({}); retrying", e.getMessage());
        timer.schedule(this::resync, 250, TimeUnit.MILLISECONDS);
        return;
      }
      synchronized (this) {
        Map<String, Pid> oldNames = names;
        Map<String, StoredNode> oldNodes = nodes;
        Map<String, StoredNode> freshNodes = new ConcurrentHashMap<>();
        Map<String, Pid> freshNames = new ConcurrentHashMap<>();
        for (KeyValue kv : all.getKvsList()) {
          put(freshNodes, freshNames, kv, false);
        }
        nodes = freshNodes;
        names = freshNames;
        oldNames.forEach((n, p) -> {
          if (!p.equals(names.get(n))) {
            tell(l -> l.nameChanged(n, null));
          }
        });
        oldNodes.forEach((n, s) -> {
          StoredNode now = nodes.get(n);
          if (now == null || now.record().incarnation() != s.record().incarnation()) {
            tell(l -> l.nodeLost(s.record(), reasonFor(s.record())));
          }
        });
        nodes.forEach((n, s) -> {
          StoredNode was = oldNodes.get(n);
          if (was == null || was.record().incarnation() != s.record().incarnation()) {
            tell(l -> l.nodeUp(s.record()));
          }
        });
        names.forEach((n, p) -> {
          if (!p.equals(oldNames.get(n))) {
            tell(l -> l.nameChanged(n, p));
          }
        });
      }
      advance(all.getHeader().getRevision());
      watchFrom(all.getHeader().getRevision() + 1);
    });
  }

  /** The order in which one revision's events are applied: see the class comment. */
  private int rank(Event e) {
    String kind = keys.parse(e.getKv().getKey()).kind();
    boolean delete = e.getType() == Event.EventType.DELETE;
    return switch (kind) {
      case "ended" -> 0;
      case "names" -> delete ? 1 : 5;
      case "nodes" -> delete ? 2 : 3;
      default -> 4;
    };
  }

  private void applyEvents(List<Event> events) {
    if (events.isEmpty()) {
      return;
    }
    int i = 0;
    while (i < events.size()) {
      long revision = events.get(i).getKv().getModRevision();
      List<Event> group = new ArrayList<>();
      while (i < events.size() && events.get(i).getKv().getModRevision() == revision) {
        group.add(events.get(i++));
      }
      group.sort(Comparator.comparingInt(this::rank));
      if (revision <= applied()) {
        continue; // already applied (a watch that started again from an earlier revision)
      }
      synchronized (this) {
        for (Event e : group) {
          if (e.getType() == Event.EventType.DELETE) {
            delete(e.getKv());
          } else {
            put(nodes, names, e.getKv(), true);
          }
        }
      }
      advance(revision);
    }
  }

  /**
   * Applies a key written to {@code nodes} and {@code names}; {@code tell}: a change to tell listeners
   * of (not a read of everything). A node whose session moved is told again: its peers' tickets for it
   * are made with its token, which changed.
   */
  private void put(Map<String, StoredNode> nodes, Map<String, Pid> names, KeyValue kv, boolean tell) {
    EtcdKeys.Parsed k = keys.parse(kv.getKey());
    try {
      switch (k.kind()) {
        case "nodes" -> {
          StoredNode n = StoredNode.fromValue(kv.getValue(), kv.getModRevision());
          StoredNode was = nodes.put(k.id(), n);
          if (tell && (was == null || was.record().incarnation() != n.record().incarnation()
              || !java.util.Arrays.equals(was.token(), n.token()))) {
            tell(l -> l.nodeUp(n.record()));
          }
        }
        case "names" -> {
          Pid owner = Pid.parse(kv.getValue().toStringUtf8());
          Pid was = names.put(k.id(), owner);
          if (tell && !owner.equals(was)) {
            tell(l -> l.nameChanged(k.id(), owner));
          }
        }
        case "ids" -> nextIds.merge(k.id(), EtcdKeys.parseId(kv.getValue()), Math::max);
        case "ended" -> {
          synchronized (endedReasons) {
            endedReasons.put(k.id(), kv.getValue().toStringUtf8());
          }
        }
        default -> { }
      }
    } catch (IllegalArgumentException e) {
      LOG.warn("etcd: ignoring {} under {}: {}", kv.getKey().toStringUtf8(), keys.prefix, e.getMessage());
    }
  }

  private void delete(KeyValue kv) {
    EtcdKeys.Parsed k = keys.parse(kv.getKey());
    switch (k.kind()) {
      case "nodes" -> {
        StoredNode was = nodes.remove(k.id());
        if (was != null) {
          tell(l -> l.nodeLost(was.record(), reasonFor(was.record())));
        }
      }
      case "names" -> {
        if (names.remove(k.id()) != null) {
          tell(l -> l.nameChanged(k.id(), null));
        }
      }
      default -> { }
    }
  }

  /** Why {@code node}'s life ended: from its ended key, or its lease ran out with no one to say why. */
  String reasonFor(NodeRecord node) {
    synchronized (endedReasons) {
      String r = endedReasons.get(node.label());
      return r != null ? r : "its etcd lease ran out (the registry replica that kept it is gone)";
    }
  }

  private void tell(java.util.function.Consumer<DirectoryListener> event) {
    for (DirectoryListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        LOG.warn("etcd: a directory listener failed", e);
      }
    }
  }

  /** Ends the current watch stream, if any (its callbacks are ignored from then on). */
  private void endWatch() {
    StreamObserver<WatchRequest> w;
    synchronized (this) {
      w = watch;
      watch = null;
    }
    if (w != null) {
      try {
        w.onCompleted();
      } catch (RuntimeException ignored) {
        // already ended
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    endWatch();
    synchronized (appliedLock) {
      appliedLock.notifyAll();
    }
  }
}
