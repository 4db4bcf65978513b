package dev.troupe.runtime.node;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.runtime.registry.NodeRecord;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The processes a node runs and the hosts it serves: which PIDs are this node's (its exclusive hosts,
 * or its range of a shared host), the ids it hands out, and the live process behind a PID.
 */
final class ProcessTable {
  private final String nodeName;
  private final Map<String, ProcessHost> hosts = new LinkedHashMap<>();
  private final Map<Long, LocalProcess> processes = new ConcurrentHashMap<>();
  private final AtomicLong nextId = new AtomicLong(1);
  private final AtomicLong started = new AtomicLong();
  private volatile NodeRecord self;

  ProcessTable(String nodeName, Collection<? extends ProcessHost> hosts, String defaultClientHost) {
    this.nodeName = nodeName;
    for (ProcessHost h : hosts) {
      this.hosts.put(h.name(), h);
    }
    if (!this.hosts.containsKey(defaultClientHost)) {
      this.hosts.put(defaultClientHost, new ClientHost(defaultClientHost));
    }
  }

  /** This node as the directory knows it; with a shard, the ids of that shared host it may hand out. */
  void joinedAs(NodeRecord record, long firstId) {
    this.self = record;
    nextId.accumulateAndGet(firstId, Math::max);
  }

  NodeRecord self() {
    return self;
  }

  Map<String, ProcessHost> hosts() {
    return hosts;
  }

  ProcessHost host(String name) {
    return hosts.get(name);
  }

  /** A new process on {@code host}, with the next id of this node. */
  LocalProcess add(String host, String entry, String label, FrameSink sink) {
    long id = nextId.getAndIncrement();
    NodeRecord me = self;
    if (me != null && me.shard() != null && id >= me.shard().endId()) {
      throw new TroupeException(ErrorCode.RESOURCE_EXHAUSTED, "node " + nodeName
          + " has used every id of its range of " + me.shard().host() + "; spawn on another of its members");
    }
    started.incrementAndGet();
    Pid pid = Pid.of(host, id);
    LocalProcess p = new LocalProcess(pid, entry, label, sink);
    processes.put(pid.id(), p);
    return p;
  }

  void remove(LocalProcess p) {
    processes.remove(p.pid().id(), p);
  }

  /** Whether {@code pid} is this node's to run: a host it serves alone, or its range of a shared one. */
  boolean isLocal(Pid pid) {
    NodeRecord me = self;
    if (me != null && me.shard() != null && pid.host().equals(me.shard().host())) {
      return me.shard().contains(pid);
    }
    ProcessHost h = hosts.get(pid.host());
    return h != null && !h.isFront() && (pid.node().isEmpty() || pid.node().equals(nodeName));
  }

  /** The live local process with this PID, or null. */
  LocalProcess liveLocal(Pid pid) {
    if (!isLocal(pid)) {
      return null;
    }
    LocalProcess p = processes.get(pid.id());
    return p != null && p.pid().host().equals(pid.host()) && p.alive() ? p : null;
  }

  Collection<LocalProcess> all() {
    return processes.values();
  }

  int count() {
    return processes.size();
  }

  long startedTotal() {
    return started.get();
  }

  long nextId() {
    return nextId.get();
  }
}
