package dev.troupe.registry.etcd;

import com.google.protobuf.ByteString;
import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Failures;
import dev.troupe.runtime.registry.DirectoryListener;
import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.NodeCredentials;
import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.registry.Names;
import dev.troupe.runtime.registry.RegistryStore;
import dev.troupe.runtime.registry.Shard;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's directory in etcd v3, shared by every registry replica over one etcd cluster (see
 * {@link EtcdKeys} for the layout). Each change is one transaction that compares before it writes (a
 * name is created only where none is, a node only where no live one of its name or hosts is), so two
 * replicas never both win; each replica then learns every change from its watch ({@link EtcdView}),
 * and a call that changed something returns once its own view holds the change, so a caller reads
 * its own writes.
 *
 * <p>Liveness stays Troupe's: the replica that holds a node's stream declares it lost when it falls
 * silent (or its stream breaks), and then revokes the node's lease, which deletes the node and its
 * names in one revision. The lease (long TTL, {@link EtcdSettings#leaseTtl()}) is only the backstop
 * for a replica that dies together with its nodes.
 */
public final class EtcdDirectory implements RegistryStore {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdDirectory.class);
  /** How many times a join is retried when its compare lost a race (another replica changed the keys). */
  private static final int JOIN_ATTEMPTS = 5;

  private final EtcdSettings settings;
  private final EtcdClient etcd;
  private final EtcdKeys keys;
  private final EtcdView view;
  private final LeaseKeeper leases;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "etcd-store");
    t.setDaemon(true);
    return t;
  });
  /** Name calls and other writes that callers do not wait for run here, off the gRPC event loop. */
  private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
  /** The next process id each node reported last (heartbeats), written to etcd before its loss. */
  private final Map<String, Long> reportedIds = new java.util.concurrent.ConcurrentHashMap<>();
  /** The long lease of ended keys, and when it was granted; a new one is granted at half its TTL. */
  private long endedLease;
  private long endedLeaseGrantedNanos;

  private EtcdDirectory(EtcdSettings settings) {
    this.settings = settings;
    this.etcd = new EtcdClient(settings.endpoints(), settings.callTimeout());
    this.keys = new EtcdKeys(settings.prefix());
    this.view = new EtcdView(etcd, keys, timer);
    this.leases = new LeaseKeeper(etcd, settings.leaseTtl(), timer);
  }

  /** Connects, reads the directory and starts watching it. */
  public static EtcdDirectory open(EtcdSettings settings) {
    EtcdDirectory d = new EtcdDirectory(settings);
    try {
      d.view.start();
    } catch (RuntimeException e) {
      d.close();
      throw e;
    }
    return d;
  }

  // ---- joining and leaving -------------------------------------------------------------------

  @Override
  public long join(NodeRecord announced, Map<String, Pid> claimed, DirectoryListener listener, byte[] previousToken) {
    if (listener != null) {
      view.addListener(listener); // before the write: it hears of every change after it
    }
    try {
      for (int attempt = 1; ; attempt++) {
        Optional<Long> first = tryJoin(announced, claimed, previousToken);
        if (first.isPresent()) {
          return first.get();
        }
        if (attempt == JOIN_ATTEMPTS) {
          throw new TroupeException(ErrorCode.UNAVAILABLE, "node " + announced.label()
              + " could not join: its keys in etcd kept changing under " + JOIN_ATTEMPTS + " attempts; retry");
        }
      }
    } catch (RuntimeException e) {
      if (listener != null) {
        view.removeListener(listener);
      }
      throw e;
    }
  }

  /** One attempt; empty when a compare lost a race and the caller should read again and retry. */
  private Optional<Long> tryJoin(NodeRecord announced, Map<String, Pid> claimed, byte[] previousToken) {
    StoredNode live = read(keys.node(announced.name()));
    if (live != null) {
      if (live.record().incarnation() == announced.incarnation()
          && NodeCredentials.matches(live.token(), previousToken)) {
        return moveSession(live);
      }
      throw new TroupeException(ErrorCode.UNAVAILABLE, "node " + live.record().label() + " is live; a node of that"
          + " name may join once it is gone: retry then");
    }
    if (previousToken.length > 0 || etcd.get(keys.ended(announced.label())).getCount() > 0) {
      // A life that had a session and has none now ended: declared lost, or its lease ran out when no
      // replica kept it. Its peers heard it lost; it must not come back.
      throw Failures.declaredLost(announced.name(), announced.incarnation(), announced.label());
    }
    for (String host : announced.hosts()) {
      RangeResponse holder = etcd.get(keys.host(host));
      if (holder.getCount() > 0) {
        String other = holder.getKvs(0).getValue().toStringUtf8();
        StoredNode o = view.nodes().get(other);
        throw new TroupeException(ErrorCode.ALREADY_EXISTS, "host " + host + " is already served by live node "
            + (o == null ? other : o.record().label() + " at " + o.record().address())
            + "; stop it or choose another host name");
      }
    }
    NodeRecord self = announced;
    List<Compare> compares = new ArrayList<>();
    List<RequestOp> ops = new ArrayList<>();
    if (announced.shard() != null) {
      Shard shard = announced.shard();
      RangeResponse ids = etcd.get(keys.ids(shard.host()));
      long mark = ids.getCount() == 0 ? 1 : EtcdKeys.parseId(ids.getKvs(0).getValue());
      self = announced.withShardFrom(Shard.firstAbove(mark));
      for (StoredNode other : view.nodes().values()) {
        Shard o = other.record().shard();
        if (o != null && o.overlaps(self.shard())) {
          throw new TroupeException(ErrorCode.ALREADY_EXISTS, "ids [" + self.shard().firstId() + ", "
              + self.shard().endId() + ") of " + shard.host() + " are served by live node " + other.record().label());
        }
      }
      compares.add(modRevision(keys.ids(shard.host()), ids.getCount() == 0 ? 0 : ids.getKvs(0).getModRevision()));
      ops.add(put(keys.ids(shard.host()), EtcdKeys.idValue(Math.max(mark, self.shard().endId())), 0));
    }
    long lease = etcd.grant(settings.leaseTtl());
    byte[] token = NodeCredentials.newToken();
    StoredNode stored = new StoredNode(self, token, lease, 0);
    compares.add(absent(keys.node(self.name())));
    compares.add(absent(keys.ended(self.label())));
    ops.add(put(keys.node(self.name()), stored.toValue(), lease));
    for (String host : self.hosts()) {
      compares.add(absent(keys.host(host)));
      ops.add(put(keys.host(host), EtcdKeys.utf8(self.name()), lease));
    }
    long revision;
    try {
      revision = committedRevision(etcd.txn(TxnRequest.newBuilder().addAllCompare(compares).addAllSuccess(ops)
          .build()), self.name(), token);
    } catch (TroupeException e) {
      etcd.revokeQuietly(lease);
      throw e;
    }
    if (revision == 0) {
      etcd.revoke(lease); // lost a race: nothing of ours was written
      return Optional.empty();
    }
    leases.keep(lease, token);
    int restored = 0;
    try {
      for (Map.Entry<String, Pid> e : claimed.entrySet()) {
        if (!self.serves(e.getValue())) {
          LOG.warn("registry: node {} claims name '{}' for {}, a PID it does not serve; ignored",
              self.label(), e.getKey(), e.getValue());
          continue;
        }
        TxnResponse named = createName(e.getKey(), e.getValue(), lease);
        if (named.getSucceeded()) {
          revision = named.getHeader().getRevision();
          restored++;
        }
      }
      view.awaitRevision(revision, settings.callTimeout());
    } catch (TroupeException e) {
      // The node is written but cannot be told so: undo it, so that its retry finds its name free.
      leases.drop(lease);
      etcd.revokeQuietly(lease);
      throw e;
    }
    long first;
    if (self.shard() != null) {
      first = self.shard().firstId();
    } else {
      first = 1;
      for (String host : self.hosts()) {
        first = Math.max(first, view.nextId(host));
      }
      if (first > 1) {
        first += InMemoryDirectory.RESTART_ID_GAP; // see there: ids given out after the last heartbeat
      }
    }
    LOG.info("registry: node {} joined at {} serving {} (first process id {}, {} names restored; etcd lease {})",
        self.label(), self.address(), self.shard() == null ? self.hosts() : self.shard().host() + " ids ["
            + Pid.formatId(self.shard().firstId()) + ", " + Pid.formatId(self.shard().endId()) + ")",
        Pid.formatId(first), restored, Long.toHexString(lease));
    return Optional.of(first);
  }

  /** The live node opens a new session here (its replica went away): a new token, the same lease. */
  private Optional<Long> moveSession(StoredNode live) {
    StoredNode moved = live.withToken(NodeCredentials.newToken());
    long revision = committedRevision(etcd.txn(TxnRequest.newBuilder()
        .addCompare(modRevision(keys.node(live.record().name()), live.modRevision()))
        .addCompare(absent(keys.ended(live.record().label())))
        .addSuccess(put(keys.node(live.record().name()), moved.toValue(), live.lease())).build()),
        live.record().name(), moved.token());
    if (revision == 0) {
      return Optional.empty();
    }
    leases.keep(live.lease(), moved.token());
    try {
      view.awaitRevision(revision, settings.callTimeout());
    } catch (TroupeException e) {
      // Written, but this replica cannot answer with the new token (its view lags): put the old one
      // back, so that the node's retry, which shows the old one, can move.
      leases.dropSession(live.lease(), moved.token());
      etcd.txn(TxnRequest.newBuilder().addCompare(modRevision(keys.node(live.record().name()), revision))
          .addSuccess(put(keys.node(live.record().name()), live.toValue(), live.lease())).build());
      throw e;
    }
    LOG.info("registry: node {} moved its session here (etcd lease {})", live.record().label(),
        Long.toHexString(live.lease()));
    NodeRecord n = live.record();
    long first = n.shard() != null ? n.shard().firstId() : 1;
    for (String host : n.hosts()) {
      first = Math.max(first, view.nextId(host));
    }
    return Optional.of(first);
  }

  /**
   * The revision of a node's write, or 0 if its compare failed and nothing of ours is there. A failed
   * compare may be a retry of an attempt that was applied while its answer was lost: then the node's
   * record holds {@code token}, which no one else has, and that write was ours.
   */
  private long committedRevision(TxnResponse r, String node, byte[] token) {
    if (r.getSucceeded()) {
      return r.getHeader().getRevision();
    }
    StoredNode now = read(keys.node(node));
    return now != null && NodeCredentials.matches(now.token(), token) ? now.modRevision() : 0;
  }

  /** A node in this JVM (the replica's own) leaves: at once, before this JVM's channels close. */
  @Override
  public void leave(NodeRecord self) {
    StoredNode live = view.nodes().get(self.name());
    if (live == null || live.record().incarnation() != self.incarnation()) {
      return;
    }
    try {
      endLife(live, "node left", null);
    } catch (TroupeException e) {
      leases.drop(live.lease());
      LOG.warn("registry: could not tell etcd that {} left ({}); its lease ends it within {} s", self.label(),
          e.getMessage(), settings.leaseTtl().toSeconds());
    }
  }

  @Override
  public void lose(NodeRecord node, String reason) {
    StoredNode live = view.nodes().get(node.name());
    if (live != null && live.record().incarnation() == node.incarnation()) {
      inBackground(live, null, () -> endLife(live, reason, null));
    }
  }

  @Override
  public void endSession(NodeRecord node, byte[] token, String reason) {
    StoredNode live = view.nodes().get(node.name());
    if (live != null && live.record().incarnation() == node.incarnation()) {
      inBackground(live, token, () -> endLife(live, reason, token));
    }
  }

  /**
   * Runs a loss in the background: its callers (a stream's end on the event loop, the liveness check)
   * must not wait for etcd. Every replica's listeners hear of it from the watch.
   */
  private void inBackground(StoredNode live, byte[] token, Runnable loss) {
    calls.execute(() -> {
      try {
        loss.run();
      } catch (TroupeException e) {
        // No longer kept alive here: the lease's end removes it.
        if (token == null) {
          leases.drop(live.lease());
        } else {
          leases.dropSession(live.lease(), token);
        }
        LOG.error("registry: could not declare {} lost in etcd ({}); its lease ends it within {} s",
            live.record().label(), e.getMessage(), settings.leaseTtl().toSeconds());
      }
    });
  }

  @Override
  public void declareLost(NodeRecord by, String member, long incarnation, String reason) {
    StoredNode current = view.nodes().get(member);
    if (current == null || (incarnation != 0 && current.record().incarnation() != incarnation)) {
      return;
    }
    Shard shard = current.record().shard();
    if (shard == null || !shard.owner().equals(by.name())) {
      LOG.warn("registry: node {} reported {} lost, but it does not own it; ignored", by.label(), current.record().label());
      return;
    }
    lose(current.record(), reason);
  }

  /**
   * Ends a life: writes why (its ended key, which also keeps that incarnation from coming back), then
   * revokes its lease, which deletes its node, hosts and names in one revision; then the members it
   * forked. With {@code token}, only if that session is still the node's current one.
   */
  private void endLife(StoredNode live, String reason, byte[] token) {
    NodeRecord node = live.record();
    StoredNode current = read(keys.node(node.name()));
    if (current == null || current.record().incarnation() != node.incarnation()) {
      leases.drop(live.lease()); // gone already
      return;
    }
    if (token != null && !NodeCredentials.matches(current.token(), token)) {
      // Its session moved to another stream (here or on another replica): the one that ended no longer
      // keeps its lease alive; the new one does.
      leases.dropSession(current.lease(), token);
      return;
    }
    Long reported = reportedIds.remove(node.name());
    if (reported != null) {
      recordIds(node, reported); // its last heartbeat's ids, before a next life can read them
    }
    TxnResponse r = etcd.txn(TxnRequest.newBuilder()
        .addCompare(modRevision(keys.node(node.name()), current.modRevision()))
        .addSuccess(put(keys.ended(node.label()), EtcdKeys.utf8(reason), endedLease())).build());
    if (!r.getSucceeded()) {
      return; // it changed meanwhile (moved or ended): not ours to end
    }
    leases.drop(current.lease());
    long revision = etcd.revoke(current.lease());
    LOG.warn("registry: node {} lost: {}", node.label(), reason);
    for (StoredNode m : List.copyOf(view.nodes().values())) {
      Shard s = m.record().shard();
      if (s != null && s.owner().equals(node.name())) {
        endLife(m, "node lost: " + node.name() + " (" + reason + ")", null);
      }
    }
    if (revision > 0) {
      view.awaitRevision(revision, settings.callTimeout());
    }
  }

  private synchronized long endedLease() {
    if (endedLease == 0 || System.nanoTime() - endedLeaseGrantedNanos > settings.endedTtl().toNanos() / 2) {
      endedLease = etcd.grant(settings.endedTtl());
      endedLeaseGrantedNanos = System.nanoTime();
    }
    return endedLease;
  }

  @Override
  public void noteNextProcessId(String node, long nextId) {
    StoredNode n = view.nodes().get(node);
    if (n == null) {
      return;
    }
    reportedIds.merge(node, nextId, Math::max);
    if (hostsOf(n.record()).stream().anyMatch(h -> nextId > view.nextId(h))) {
      calls.execute(() -> {
        try {
          recordIds(n.record(), nextId);
        } catch (TroupeException e) {
          LOG.debug("etcd: could not record next id {} of {}: {}", nextId, node, e.getMessage());
        }
      });
    }
  }

  private static List<String> hostsOf(NodeRecord n) {
    List<String> hosts = new ArrayList<>(n.hosts());
    if (n.shard() != null) {
      hosts.add(n.shard().host());
    }
    return hosts;
  }

  /** Raises the next id of {@code node}'s hosts to {@code nextId} (never lowers it). */
  private void recordIds(NodeRecord node, long nextId) {
    for (String host : hostsOf(node)) {
      if (nextId <= view.nextId(host)) {
        continue;
      }
      // The value compares as bytes, and 16 hex digits sort as numbers; an absent key has no value to compare.
      for (int attempt = 0; attempt < 3; attempt++) { // another replica may create the key in between
        TxnResponse raised = etcd.txn(TxnRequest.newBuilder()
            .addCompare(Compare.newBuilder().setKey(keys.ids(host)).setTarget(Compare.CompareTarget.VALUE)
                .setResult(Compare.CompareResult.LESS).setValue(EtcdKeys.idValue(nextId)))
            .addSuccess(put(keys.ids(host), EtcdKeys.idValue(nextId), 0)).build());
        if (raised.getSucceeded() || etcd.txn(TxnRequest.newBuilder().addCompare(absent(keys.ids(host)))
            .addSuccess(put(keys.ids(host), EtcdKeys.idValue(nextId), 0)).build()).getSucceeded()
            || etcd.get(keys.ids(host)).getKvsList().stream()
                .anyMatch(kv -> EtcdKeys.parseId(kv.getValue()) >= nextId)) {
          break;
        }
      }
    }
  }

  // ---- names ---------------------------------------------------------------------------------

  @Override
  public CompletableFuture<Void> register(NodeRecord by, String name, Pid owner) {
    return async(() -> {
      Names.validate(name);
      StoredNode node = caller(by, owner);
      TxnResponse r = createName(name, owner, node.lease());
      if (r.getSucceeded()) {
        view.awaitRevision(r.getHeader().getRevision(), settings.callTimeout());
        return null;
      }
      Pid holder = holder(r);
      if (owner.equals(holder)) {
        return null;
      }
      throw Failures.nameTaken(name, String.valueOf(holder));
    });
  }

  /** Creates {@code name} for {@code owner} where no one holds it; else reads the holder (in the response). */
  private TxnResponse createName(String name, Pid owner, long lease) {
    try {
      return etcd.txn(TxnRequest.newBuilder().addCompare(absent(keys.name(name)))
          .addSuccess(put(keys.name(name), EtcdKeys.utf8(owner.toString()), lease))
          .addFailure(RequestOp.newBuilder().setRequestRange(io.etcd.jetcd.api.RangeRequest.newBuilder()
              .setKey(keys.name(name)))).build());
    } catch (TroupeException e) {
      if (e.code() == ErrorCode.NOT_FOUND) { // "requested lease not found": the node was lost meanwhile
        throw new TroupeException(ErrorCode.PERMISSION_DENIED, "the node of " + owner
            + " was declared lost; rejoin first");
      }
      throw e;
    }
  }

  private static Pid holder(TxnResponse failed) {
    var range = failed.getResponses(0).getResponseRange();
    return range.getCount() == 0 ? null : Pid.parse(range.getKvs(0).getValue().toStringUtf8());
  }

  @Override
  public CompletableFuture<Boolean> unregister(NodeRecord by, String name, Pid owner) {
    return async(() -> {
      caller(by, owner);
      TxnResponse r = etcd.txn(TxnRequest.newBuilder()
          .addCompare(Compare.newBuilder().setKey(keys.name(name)).setTarget(Compare.CompareTarget.VALUE)
              .setResult(Compare.CompareResult.EQUAL).setValue(EtcdKeys.utf8(owner.toString())))
          .addSuccess(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(keys.name(name))))
          .addFailure(RequestOp.newBuilder().setRequestRange(io.etcd.jetcd.api.RangeRequest.newBuilder()
              .setKey(keys.name(name)))).build());
      if (r.getSucceeded()) {
        view.awaitRevision(r.getHeader().getRevision(), settings.callTimeout());
        return true;
      }
      Pid holder = holder(r);
      if (holder == null) {
        return false;
      }
      throw new TroupeException(ErrorCode.PERMISSION_DENIED, "name '" + name + "' is held by " + holder
          + ", not by " + owner + "; only its owner can unregister it");
    });
  }

  @Override
  public CompletableFuture<Optional<Pid>> lookup(String name) {
    return async(() -> {
      RangeResponse r = etcd.get(keys.name(name));
      return r.getCount() == 0 ? Optional.empty() : Optional.of(Pid.parse(r.getKvs(0).getValue().toStringUtf8()));
    });
  }

  @Override
  public CompletableFuture<List<String>> releaseAll(NodeRecord by, Pid owner) {
    return async(() -> {
      caller(by, owner);
      List<String> released = new ArrayList<>();
      long revision = 0;
      for (Map.Entry<String, Pid> e : List.copyOf(view.names().entrySet())) {
        if (!e.getValue().equals(owner)) {
          continue;
        }
        TxnResponse r = etcd.txn(TxnRequest.newBuilder()
            .addCompare(Compare.newBuilder().setKey(keys.name(e.getKey())).setTarget(Compare.CompareTarget.VALUE)
                .setResult(Compare.CompareResult.EQUAL).setValue(EtcdKeys.utf8(owner.toString())))
            .addSuccess(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder()
                .setKey(keys.name(e.getKey())))).build());
        if (r.getSucceeded()) {
          released.add(e.getKey());
          revision = r.getHeader().getRevision();
        }
      }
      if (revision > 0) {
        view.awaitRevision(revision, settings.callTimeout());
      }
      return released;
    });
  }

  /** {@code by}'s live record, if it serves {@code owner}; the registry's own calls pass null. */
  private StoredNode caller(NodeRecord by, Pid owner) {
    StoredNode current = by == null ? null : view.nodes().get(by.name());
    if (current == null || current.record().incarnation() != by.incarnation()) {
      throw new TroupeException(ErrorCode.PERMISSION_DENIED, "node " + (by == null ? "?" : by.label())
          + " has not joined the registry (or was declared lost); rejoin first");
    }
    if (!current.record().serves(owner)) {
      throw new TroupeException(ErrorCode.PERMISSION_DENIED,
          "node " + by.label() + " does not serve host " + owner.host() + " of " + owner);
    }
    return current;
  }

  private <T> CompletableFuture<T> async(Supplier<T> call) {
    return CompletableFuture.supplyAsync(call, calls);
  }

  // ---- reads, from this replica's view ---------------------------------------------------------

  @Override
  public Optional<NodeRecord> nodeServing(String host) {
    for (StoredNode n : view.nodes().values()) {
      if (n.record().hosts().contains(host)) {
        return Optional.of(n.record());
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<NodeRecord> node(String name) {
    return Optional.ofNullable(view.nodes().get(name)).map(StoredNode::record);
  }

  @Override
  public Collection<NodeRecord> nodes() {
    return view.nodes().values().stream().map(StoredNode::record).toList();
  }

  @Override
  public Map<String, Pid> names() {
    return Map.copyOf(view.names());
  }

  @Override
  public Optional<byte[]> token(NodeRecord node) {
    StoredNode n = view.nodes().get(node.name());
    return n == null || n.record().incarnation() != node.incarnation() ? Optional.empty() : Optional.of(n.token());
  }

  @Override
  public Optional<NodeRecord> authenticate(String name, byte[] token) {
    StoredNode n = view.nodes().get(name);
    return n != null && NodeCredentials.matches(n.token(), token) ? Optional.of(n.record()) : Optional.empty();
  }

  @Override
  public byte[] peerTicket(NodeRecord self, NodeRecord peer) {
    StoredNode current = view.nodes().get(peer.name());
    StoredNode holder = view.nodes().get(self.name());
    NodeRecord h = holder == null ? self : holder.record();
    if (current == null || current.record().incarnation() != peer.incarnation() || h.incarnation() != self.incarnation()) {
      return NodeCredentials.none();
    }
    return NodeCredentials.ticket(current.token(), h, current.record());
  }

  @Override
  public boolean admitsPeer(NodeRecord self, NodeRecord claimed, byte[] ticket) {
    StoredNode current = view.nodes().get(self.name());
    if (current == null || current.record().incarnation() != self.incarnation()) {
      return false;
    }
    return NodeCredentials.matches(NodeCredentials.ticket(current.token(), claimed, self), ticket);
  }

  @Override
  public void addListener(DirectoryListener listener) {
    view.addListener(listener);
  }

  @Override
  public void removeListener(DirectoryListener listener) {
    view.removeListener(listener);
  }

  // ---- etcd request helpers ------------------------------------------------------------------

  private StoredNode read(ByteString key) {
    RangeResponse r = etcd.get(key);
    return r.getCount() == 0 ? null : StoredNode.fromValue(r.getKvs(0).getValue(), r.getKvs(0).getModRevision());
  }

  private static Compare absent(ByteString key) {
    return Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.CREATE)
        .setResult(Compare.CompareResult.EQUAL).setCreateRevision(0).build();
  }

  private static Compare modRevision(ByteString key, long revision) {
    return Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.MOD)
        .setResult(Compare.CompareResult.EQUAL).setModRevision(revision).build();
  }

  private static RequestOp put(ByteString key, ByteString value, long lease) {
    return RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setValue(value).setLease(lease)).build();
  }

  @Override
  public String describe() {
    return "etcd " + String.join(",", settings.endpoints()) + " under " + keys.prefix;
  }

  /** The revision this replica's view has reached (for tests and status). */
  public long appliedRevision() {
    return view.applied();
  }

  @Override
  public void close() {
    view.close();
    leases.close();
    timer.shutdownNow();
    calls.shutdownNow();
    etcd.close();
  }
}
