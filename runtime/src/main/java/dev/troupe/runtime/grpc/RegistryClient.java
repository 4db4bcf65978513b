package dev.troupe.runtime.grpc;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.client.Futures;
import dev.troupe.client.wire.GrpcErrors;
import dev.troupe.proto.registry.v1.JoinAccepted;
import dev.troupe.proto.registry.v1.JoinClusterRequest;
import dev.troupe.proto.registry.v1.JoinClusterResponse;
import dev.troupe.proto.registry.v1.LookupNameRequest;
import dev.troupe.proto.registry.v1.MemberLost;
import dev.troupe.proto.registry.v1.NameRecord;
import dev.troupe.proto.registry.v1.NodeAnnouncement;
import dev.troupe.proto.registry.v1.NodeHeartbeat;
import dev.troupe.proto.registry.v1.RegisterNameRequest;
import dev.troupe.proto.registry.v1.RegistryServiceGrpc;
import dev.troupe.proto.registry.v1.ReleaseNamesRequest;
import dev.troupe.proto.registry.v1.UnregisterNameRequest;
import dev.troupe.runtime.registry.Directory;
import dev.troupe.runtime.registry.DirectoryListener;
import dev.troupe.runtime.registry.JoinCredentials;
import dev.troupe.runtime.registry.NodeCredentials;
import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.registry.PeerCache;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's link to the registry-service, the {@link Directory} of nodes in other OS processes: one
 * JoinCluster stream (announce, heartbeats; the registry pushes nodes up and lost and every name
 * change) that feeds the {@link PeerCache}, and unary calls for name changes, authenticated with the
 * {@link JoinCredentials} the join gave. When the registry goes away the node keeps serving from its
 * cache and rejoins with backoff, re-announcing the names its processes hold.
 */
public final class RegistryClient implements Directory, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryClient.class);

  /**
   * Settings of the registry link.
   *
   * @param heartbeatInterval how often the node says it is alive (the registry declares it lost after
   *     its liveness timeout, 3 s by default)
   * @param callTimeout deadline of each unary name call
   * @param joinTimeout how long the first join may take before start-up fails
   * @param rejoinBackoff delay between attempts to rejoin a registry that went away
   * @param rejoinGrace how long a peer missing from a restarted registry's view is still taken as
   *     live: the registry restarts empty, and every node rejoins it on its own schedule. A peer that
   *     has not rejoined by then is taken as lost (monitors and links across it fire)
   */
  public record Settings(Duration heartbeatInterval, Duration callTimeout, Duration joinTimeout,
      Duration rejoinBackoff, Duration rejoinGrace) {
    public static Settings defaults() {
      return new Settings(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofSeconds(10),
          Duration.ofMillis(250), Duration.ofSeconds(10));
    }
  }

  /** One channel per registry replica the node may use, in the order given; {@link #current} is in use. */
  private final List<ManagedChannel> channels;
  private volatile int current;
  private final Settings settings;
  /** Names this node's processes hold: re-announced after a registry restart. */
  private final Map<String, Pid> ownNames = new ConcurrentHashMap<>();
  /** How long leaving waits for the registry to end the node's stream. */
  public static final Duration LEAVE_TIMEOUT = Duration.ofSeconds(1);

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "registry-link");
    t.setDaemon(true);
    return t;
  });
  private final PeerCache cache;
  private final JoinCredentials credentials = new JoinCredentials();
  private volatile NodeRecord self;
  private volatile LongSupplier nextProcessId = () -> 0;
  private volatile java.util.function.Consumer<String> onDeclaredLost = why -> {};
  private volatile Session session;
  /** The node's listener: told of its own record first, on every (re)join. */
  private volatile DirectoryListener listener;
  private volatile boolean closed;

  /**
   * @param registryAddresses one registry's host:port, or several replicas' separated by commas (they
   *     share one store, e.g. etcd): the node uses the first that answers and moves to the next when
   *     the one it uses goes away
   */
  public RegistryClient(String registryAddresses, Settings settings) {
    this.channels = parseAddresses(registryAddresses).stream()
        .map(a -> Channels.open(a, ChannelSettings.defaults())).toList();
    this.settings = settings;
    this.cache = new PeerCache(timer, settings.rejoinGrace(), () -> closed);
  }

  /**
   * What to do when the registry has declared this node lost (it was silent: paused or partitioned).
   * Every monitor and link of its processes has fired elsewhere, so they must not come back: a
   * service's main stops the OS process (fail-stop), and its supervisor starts a new incarnation.
   */
  public void onDeclaredLost(java.util.function.Consumer<String> handler) {
    this.onDeclaredLost = handler;
  }

  /**
   * Joins as a node that forks members: they must show tokens made with {@code key} (see
   * {@link dev.troupe.runtime.registry.NodeCredentials#memberToken}). Call before {@link #join}.
   */
  public void memberKey(byte[] key) {
    credentials.memberKey(key);
  }

  /** Joins as a member with the token its owner gave it. Call before {@link #join}. */
  public void memberToken(byte[] token) {
    credentials.memberToken(token);
  }

  /** Where heartbeats read the node's next process id from. */
  public void nextProcessId(LongSupplier supplier) {
    this.nextProcessId = supplier;
  }

  /** The addresses in {@code list} ("a:7400,b:7400"), in order; at least one. */
  static List<String> parseAddresses(String list) {
    List<String> out = new ArrayList<>();
    for (String a : list.split(",")) {
      if (!a.isBlank()) {
        out.add(a.strip());
      }
    }
    if (out.isEmpty()) {
      throw TroupeException.invalid("no registry address in '" + list + "'; give host:port[,host:port...]");
    }
    return List.copyOf(out);
  }

  private ManagedChannel channel() {
    return channels.get(current);
  }

  /** Moves to the next replica (after the one in use went away, or did not answer). */
  private void nextReplica() {
    if (channels.size() > 1) {
      current = (current + 1) % channels.size();
    }
  }

  @Override
  public long join(NodeRecord me, Map<String, Pid> claimed, DirectoryListener l) {
    this.self = me;
    this.listener = l;
    cache.tell(l);
    ownNames.putAll(claimed);
    long deadline = System.nanoTime() + settings.joinTimeout().toNanos();
    try {
      JoinAccepted accepted = null;
      while (accepted == null) {
        Session s = new Session();
        try {
          accepted = s.start().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
          session = s;
        } catch (java.util.concurrent.ExecutionException e) {
          if (channels.size() == 1 || Status.fromThrowable(e.getCause()).getCode() != Status.Code.UNAVAILABLE
              || System.nanoTime() > deadline) {
            throw e;
          }
          nextReplica(); // that replica is down: try the next
        }
      }
      timer.scheduleAtFixedRate(this::heartbeat, settings.heartbeatInterval().toMillis(),
          settings.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
      return Math.max(1, accepted.getFirstProcessId());
    } catch (java.util.concurrent.ExecutionException e) {
      throw toTroupe(e.getCause(), "could not join the registry");
    } catch (java.util.concurrent.TimeoutException e) {
      throw new TroupeException(ErrorCode.UNAVAILABLE, "the registry did not answer within "
          + settings.joinTimeout().toMillis() + " ms; is it running at " + channel().authority() + "?");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TroupeException(ErrorCode.CANCELLED, "interrupted while joining the registry");
    }
  }

  private void heartbeat() {
    Session s = session;
    if (s != null) {
      s.send(JoinClusterRequest.newBuilder().setHeartbeat(NodeHeartbeat.newBuilder()
          .setSentUnixMs(System.currentTimeMillis()).setNextProcessId(nextProcessId.getAsLong())).build());
    }
  }

  private void rejoinLater() {
    if (closed) {
      return;
    }
    timer.schedule(() -> {
      if (closed) {
        return;
      }
      // The channel backs off its reconnects exponentially (1 s, 1.6 s, 2.6 s, ...) while the
      // registry is down, failing our attempts fast meanwhile: a restarted registry would wait for
      // the channel's next try. Our own backoff paces the attempts.
      ManagedChannel channel = channel();
      channel.resetConnectBackoff();
      Session s = new Session();
      session = s;
      s.start().whenComplete((a, t) -> {
        if (t != null) {
          LOG.debug("{}: rejoining the registry failed: {}", self.label(), t.toString());
        } else {
          LOG.info("{}: rejoined the registry with {} names", self.label(), ownNames.size());
        }
      });
    }, settings.rejoinBackoff().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** One JoinCluster stream. A new one is opened after the registry restarts. */
  private final class Session implements ClientResponseObserver<JoinClusterRequest, JoinClusterResponse> {
    private final CompletableFuture<JoinAccepted> accepted = new CompletableFuture<>();
    /** Completed when the registry has ended this stream (after our half-close, once it read it). */
    private final CompletableFuture<Void> over = new CompletableFuture<>();
    private ClientCallStreamObserver<JoinClusterRequest> call;

    CompletableFuture<JoinAccepted> start() {
      io.grpc.Context.ROOT.run(() -> RegistryServiceGrpc.newStub(channel()).joinCluster(this));
      List<NameRecord> claims = new ArrayList<>();
      ownNames.forEach((n, p) -> claims.add(NameRecord.newBuilder().setName(n).setPid(p.toString()).build()));
      send(JoinClusterRequest.newBuilder().setAnnounce(NodeAnnouncement.newBuilder()
          .setNode(ProtoRecords.toProto(self)).addAllNames(claims)
          .setMemberKey(com.google.protobuf.ByteString.copyFrom(credentials.memberKey()))
          .setMemberToken(com.google.protobuf.ByteString.copyFrom(credentials.memberToken()))
          .setNodeToken(com.google.protobuf.ByteString.copyFrom(credentials.token()))).build());
      return accepted;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<JoinClusterRequest> requestStream) {
      this.call = requestStream;
    }

    synchronized void send(JoinClusterRequest r) {
      try {
        call.onNext(r);
      } catch (RuntimeException e) {
        // the stream is closing; onError will rejoin
      }
    }

    @Override
    public void onNext(JoinClusterResponse r) {
      switch (r.getFrameCase()) {
        case ACCEPTED -> {
          // A member's announce asked for a range: from now on (rejoins too) it announces the one it got.
          self = self.withShardFrom(r.getAccepted().getFirstProcessId());
          DirectoryListener l = listener;
          if (l != null) {
            l.joinedAs(self, Math.max(1, r.getAccepted().getFirstProcessId()));
          }
          adoptView(r.getAccepted());
          credentials.accepted(r.getAccepted().getNodeToken().toByteArray());
          accepted.complete(r.getAccepted());
        }
        case NODE_UP -> {
          keepTicket(r.getNodeUp());
          cache.nodeUp(ProtoRecords.fromProto(r.getNodeUp()));
        }
        case NODE_LOST -> {
          if (r.getNodeLost().getNode().equals(self.name())
              && r.getNodeLost().getIncarnation() == self.incarnation()) {
            declaredLost(r.getNodeLost().getReason());
            return;
          }
          cache.nodeLost(r.getNodeLost().getNode(), r.getNodeLost().getIncarnation(), r.getNodeLost().getReason());
        }
        case NAME_CHANGED -> {
          String name = r.getNameChanged().getName();
          String pid = r.getNameChanged().getPid();
          cache.nameChanged(name, pid.isEmpty() ? null : Pid.parse(pid));
        }
        case FRAME_NOT_SET -> {}
      }
    }

    @Override
    public void onError(Throwable t) {
      ended(t);
    }

    @Override
    public void onCompleted() {
      ended(null);
    }

    private void ended(Throwable t) {
      over.complete(null);
      if (t != null && declaredLostDetail(t)) {
        declaredLost(Status.fromThrowable(t).getDescription());
        return;
      }
      if (!accepted.isDone()) {
        accepted.completeExceptionally(t != null ? t : new IllegalStateException("registry closed the stream"));
        if (session != null) {
          nextReplica();
          rejoinLater(); // a rejoin attempt failed: keep trying (the next replica, if there are several)
        }
        return;
      }
      if (session == this && !closed) {
        LOG.warn("{}: lost the registry ({}); serving from cache and rejoining", self.label(),
            t == null ? "closed" : Status.fromThrowable(t).getCode());
        nextReplica();
        rejoinLater();
      }
    }
  }

  /** Takes the registry's view on (re)join: see {@link PeerCache#adoptView}. */
  private void adoptView(JoinAccepted view) {
    List<NodeRecord> viewNodes = new ArrayList<>();
    view.getNodesList().forEach(n -> {
      keepTicket(n);
      viewNodes.add(ProtoRecords.fromProto(n));
    });
    Map<String, Pid> viewNames = new java.util.HashMap<>();
    view.getNamesList().forEach(n -> viewNames.put(n.getName(), Pid.parse(n.getPid())));
    cache.adoptView(self.name(), viewNodes, viewNames);
  }

  private void declaredLost(String reason) {
    if (closed) {
      return;
    }
    closed = true;
    LOG.error("{}: the registry declared this node lost ({}); its processes count as dead everywhere,"
        + " so this node stops instead of resurrecting them", self.label(), reason);
    onDeclaredLost.accept(reason);
  }

  @Override
  public void leave(NodeRecord me) {
    close();
  }

  @Override
  public Optional<NodeRecord> nodeServing(String host) {
    return cache.nodeServing(host);
  }

  @Override
  public Collection<NodeRecord> liveNodes() {
    return cache.liveNodes();
  }

  @Override
  public long version() {
    return cache.version();
  }

  @Override
  public void declareLost(NodeRecord by, String member, long incarnation, String reason) {
    Session s = session;
    if (s != null) {
      s.send(JoinClusterRequest.newBuilder().setMemberLost(MemberLost.newBuilder()
          .setNode(member).setIncarnation(incarnation).setReason(reason)).build());
    }
  }

  @Override
  public Optional<NodeRecord> node(String name) {
    return cache.node(name);
  }

  @Override
  public Collection<NodeRecord> nodes() {
    return cache.nodes();
  }

  /**
   * Runs {@code call} outside the current gRPC context: name calls are often made while serving a
   * process's attach stream, and must not be cancelled when that stream ends (e.g. releasing the
   * names of a process whose stream just closed).
   */
  private static <T> T detached(java.util.function.Supplier<T> call) {
    io.grpc.Context previous = io.grpc.Context.ROOT.attach();
    try {
      return call.get();
    } finally {
      io.grpc.Context.ROOT.detach(previous);
    }
  }

  /** Whether the registry ended our stream saying it declared this node lost (a typed detail). */
  private static boolean declaredLostDetail(Throwable t) {
    com.google.rpc.Status s = io.grpc.protobuf.StatusProto.fromThrowable(t);
    return s != null && s.getCode() == Status.Code.FAILED_PRECONDITION.value()
        && s.getDetailsList().stream().anyMatch(d -> d.is(dev.troupe.proto.errordetails.v1.NodeDeclaredLostFailure.class));
  }

  private void keepTicket(dev.troupe.proto.registry.v1.NodeRecord r) {
    credentials.keepTicket(r.getNode(), r.getIncarnation(), r.getPeerTicket().toByteArray());
  }

  @Override
  public byte[] peerTicket(NodeRecord me, NodeRecord peer) {
    return credentials.peerTicket(peer);
  }

  @Override
  public boolean credentialsReady() {
    return credentials.ready();
  }

  @Override
  public void whenCredentialsReady(Runnable then) {
    credentials.whenReady(then);
  }

  @Override
  public boolean admitsPeer(NodeRecord me, NodeRecord claimed, byte[] ticket) {
    return credentials.admits(me, claimed, ticket);
  }

  private com.google.protobuf.ByteString tokenBytes() {
    return com.google.protobuf.ByteString.copyFrom(credentials.token());
  }

  private RegistryServiceGrpc.RegistryServiceFutureStub stub() {
    return RegistryServiceGrpc.newFutureStub(channel())
        .withDeadlineAfter(settings.callTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public CompletableFuture<Void> register(NodeRecord by, String name, Pid owner) {
    return Futures.of(detached(() -> stub().registerName(RegisterNameRequest.newBuilder()
            .setNode(by.name()).setNodeToken(tokenBytes()).setName(name).setOwner(owner.toString()).build())))
        .handle((r, t) -> {
          if (t != null) {
            throw toTroupe(t, "register '" + name + "' failed");
          }
          cache.named(name, owner);
          ownNames.put(name, owner);
          return null;
        });
  }

  @Override
  public CompletableFuture<Boolean> unregister(NodeRecord by, String name, Pid owner) {
    return Futures.of(detached(() -> stub().unregisterName(UnregisterNameRequest.newBuilder()
            .setNode(by.name()).setNodeToken(tokenBytes()).setName(name).setOwner(owner.toString()).build())))
        .handle((r, t) -> {
          if (t != null) {
            throw toTroupe(t, "unregister '" + name + "' failed");
          }
          ownNames.remove(name, owner);
          cache.unnamed(name, owner);
          return r.getRemoved();
        });
  }

  @Override
  public CompletableFuture<Optional<Pid>> lookup(String name) {
    Pid cached = cache.name(name);
    if (cached != null) {
      return CompletableFuture.completedFuture(Optional.of(cached));
    }
    return Futures.of(detached(() -> stub().lookupName(LookupNameRequest.newBuilder().setName(name).build())))
        .handle((r, t) -> {
          if (t != null) {
            Status s = Status.fromThrowable(t);
            if (s.getCode() == Status.Code.NOT_FOUND) {
              return Optional.<Pid>empty();
            }
            throw toTroupe(t, "lookup of '" + name + "' failed");
          }
          return Optional.of(Pid.parse(r.getPid()));
        });
  }

  @Override
  public CompletableFuture<List<String>> releaseAll(NodeRecord by, Pid owner) {
    ownNames.values().removeIf(owner::equals);
    cache.evict(owner);
    return Futures.of(detached(() -> stub().releaseNames(ReleaseNamesRequest.newBuilder()
            .setNode(by.name()).setNodeToken(tokenBytes()).setOwner(owner.toString()).build())))
        .handle((r, t) -> {
          if (t != null) {
            if (closed) {
              // This node has left (a clean stop cuts the call): the registry drops the names of a node
              // that leaves, so nothing is leaked and there is nothing to warn about.
              LOG.debug("{}: left before the registry released the names of {}", by.label(), owner);
            } else {
              Status st = Status.fromThrowable(t);
              LOG.warn("{}: expected the registry to release the names of {}, but: {} {}", by.label(), owner,
                  st.getCode(), st.getDescription());
            }
            return List.<String>of();
          }
          return r.getNamesList();
        });
  }

  @Override
  public void evict(Pid owner) {
    cache.evict(owner);
  }

  @Override
  public Map<String, Pid> names() {
    return cache.names();
  }

  static TroupeException toTroupe(Throwable t, String what) {
    return GrpcErrors.toTroupe(t, what, "registry");
  }


  @Override
  public void close() {
    closed = true;
    timer.shutdownNow();
    Session s = session;
    if (s != null && s.call != null) {
      try {
        s.call.onCompleted();
        // Let the registry read the half-close before the channel goes: it then tells everyone "node
        // left", not that the node's stream broke.
        s.over.get(LEAVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RuntimeException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        // already closed, or the registry is gone: nothing to wait for
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    channels.forEach(Channels::close);
  }
}
