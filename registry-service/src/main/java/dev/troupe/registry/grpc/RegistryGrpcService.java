package dev.troupe.registry.grpc;

import com.google.protobuf.ByteString;
import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.ReadyGatedWriter;
import dev.troupe.proto.registry.v1.GetStatusRequest;
import dev.troupe.proto.registry.v1.GetStatusResponse;
import dev.troupe.proto.registry.v1.JoinAccepted;
import dev.troupe.proto.registry.v1.JoinClusterRequest;
import dev.troupe.proto.registry.v1.JoinClusterResponse;
import dev.troupe.proto.registry.v1.LookupNameRequest;
import dev.troupe.proto.registry.v1.LookupNameResponse;
import dev.troupe.proto.registry.v1.NameChanged;
import dev.troupe.proto.registry.v1.NameRecord;
import dev.troupe.proto.registry.v1.NodeLost;
import dev.troupe.proto.registry.v1.RegisterNameRequest;
import dev.troupe.proto.registry.v1.RegisterNameResponse;
import dev.troupe.proto.registry.v1.RegistryServiceGrpc;
import dev.troupe.proto.registry.v1.ReleaseNamesRequest;
import dev.troupe.proto.registry.v1.ReleaseNamesResponse;
import dev.troupe.proto.registry.v1.UnregisterNameRequest;
import dev.troupe.proto.registry.v1.UnregisterNameResponse;
import dev.troupe.registry.core.Liveness;
import dev.troupe.registry.core.MemberAdmission;
import dev.troupe.runtime.grpc.ProtoRecords;
import dev.troupe.runtime.node.NodeConfig;
import dev.troupe.runtime.registry.DirectoryListener;
import dev.troupe.runtime.registry.NodeCredentials;
import dev.troupe.runtime.registry.RegistryStore;
import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.registry.Shard;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The gRPC adapter of the registry: joined nodes' streams and the name calls. */
public final class RegistryGrpcService extends RegistryServiceGrpc.RegistryServiceImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryGrpcService.class);
  private final RegistryStore directory;
  private final java.util.concurrent.atomic.LongAdder registers = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder unregisters = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder releases = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder lookups = new java.util.concurrent.atomic.LongAdder();
  private final Liveness liveness;
  private final String label;
  /** How long the death of a worker JVM waits for its launcher's report of the cause (see NodeConfig). */
  private final java.time.Duration memberLossWait = NodeConfig.DEFAULT_MEMBER_LOSS_WAIT;
  private final MemberAdmission members = new MemberAdmission();
  /** Where joins are admitted: off the event loop, which a shared store's calls must not hold up. */
  private final java.util.concurrent.ExecutorService joins = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
  /** This registry's node and address, as GetStatus tells operators (set once its server is bound). */
  private volatile String answeredBy = "";
  /** Set when this registry stops: the streams it ends itself say nothing about the nodes' health. */
  private volatile boolean stopping;

  public RegistryGrpcService(RegistryStore directory, Liveness liveness, String label) {
    this.directory = directory;
    this.liveness = liveness;
    this.label = label;
  }

  @Override
  public StreamObserver<JoinClusterRequest> joinCluster(StreamObserver<JoinClusterResponse> responses) {
    ServerCallStreamObserver<JoinClusterResponse> call = (ServerCallStreamObserver<JoinClusterResponse>) responses;
    ReadyGatedWriter<JoinClusterResponse, JoinClusterResponse> out =
        ReadyGatedWriter.single(call);
    call.setOnReadyHandler(out::drain);
    return new StreamObserver<>() {
      private NodeRecord node;
      /** This stream's session of {@link #node}: the token its join issued. */
      private Liveness.Session session;
      private DirectoryListener listener;
      private boolean done;
      /** Its announce is being admitted (off the event loop: a shared store may take milliseconds). */
      private boolean joining;
      /** The member key it announced, if it forks members. */
      private byte[] memberKey = new byte[0];

      @Override
      public synchronized void onNext(JoinClusterRequest frame) {
        if (done || joining) {
          return; // a heartbeat sent before its join was answered says nothing more
        }
        if (node == null) {
          if (!frame.hasAnnounce()) {
            fail(Status.FAILED_PRECONDITION, "the first frame of JoinCluster must be announce");
            return;
          }
          join(frame);
          return;
        }
        if (directory.node(node.name()).filter(n -> n.incarnation() == node.incarnation()).isEmpty()) {
          // It was declared lost (silent too long) and speaks again, e.g. after SIGCONT. Its processes
          // were reported dead to everyone: it must not carry on as if nothing happened.
          fail(dev.troupe.client.wire.Failures.declaredLost(node.name(), node.incarnation(), node.label()));
          node = null;
          return;
        }
        liveness.heard(session);
        if (frame.hasHeartbeat()) {
          directory.noteNextProcessId(node.name(), frame.getHeartbeat().getNextProcessId());
        } else if (frame.hasMemberLost()) {
          var m = frame.getMemberLost();
          directory.declareLost(node, m.getNode(), m.getIncarnation(), m.getReason());
        }
      }

      private void join(JoinClusterRequest frame) {
        NodeRecord n;
        try {
          n = ProtoRecords.fromProto(frame.getAnnounce().getNode());
        } catch (IllegalArgumentException e) {
          fail(Status.INVALID_ARGUMENT, "malformed node record: " + e.getMessage());
          return;
        }
        if (n.name().isEmpty() || n.address().isEmpty() || (n.hosts().isEmpty() && n.shard() == null)) {
          fail(Status.INVALID_ARGUMENT, "announce needs a node name, an address and at least one host");
          return;
        }
        if (n.shard() != null && n.shard().assigned() && n.shard().endId() != Shard.endOf(n.shard().firstId())) {
          fail(Status.INVALID_ARGUMENT, "a shard's range ends at the next multiple of " + Shard.SPAN
              + " after its first id; got [" + n.shard().firstId() + ", " + n.shard().endId() + ")");
          return;
        }
        Map<String, Pid> claims = new HashMap<>();
        try {
          for (NameRecord r : frame.getAnnounce().getNamesList()) {
            claims.put(r.getName(), Pid.parse(r.getPid()));
          }
        } catch (IllegalArgumentException e) {
          fail(Status.INVALID_ARGUMENT, "malformed name claim: " + e.getMessage());
          return;
        }
        joining = true;
        joins.execute(() -> admitAndJoin(n, claims, frame.getAnnounce()));
      }

      private void admitAndJoin(NodeRecord n, Map<String, Pid> claims,
          dev.troupe.proto.registry.v1.NodeAnnouncement announce) {
        NodeFeed feed = new NodeFeed(out, directory, n.name());
        long first;
        try {
          admit(n, announce);
          first = directory.join(n, claims, feed, announce.getNodeToken().toByteArray());
        } catch (TroupeException e) {
          synchronized (this) {
            joining = false;
            if (!done) {
              fail(e);
            }
          }
          return;
        } catch (RuntimeException e) {
          LOG.error("{}: joining {} failed", label, n.label(), e);
          synchronized (this) {
            joining = false;
            if (!done) {
              fail(Status.INTERNAL, "registry failure while joining: " + e);
            }
          }
          return;
        }
        synchronized (this) {
          joining = false;
          accepted(n, first, feed, announce);
        }
      }

      private void accepted(NodeRecord n, long first, NodeFeed feed,
          dev.troupe.proto.registry.v1.NodeAnnouncement announce) {
        listener = feed;
        node = n;
        NodeRecord joined = directory.node(n.name()).orElse(n.withShardFrom(first));
        session = new Liveness.Session(joined, directory.token(joined).orElse(new byte[0]));
        if (done) {
          // Its stream ended while it was being admitted: that session ends now.
          directory.removeListener(feed);
          if (!stopping) {
            directory.endSession(session.node(), session.token(), "its registry stream ended while it joined");
          }
          return;
        }
        liveness.heard(session);
        if (!announce.getMemberKey().isEmpty()) {
          memberKey = announce.getMemberKey().toByteArray();
          members.ownerJoined(n.name(), memberKey);
        }
        // The view is read after the feed was registered, so the view plus the feed's events is
        // complete; the feed holds its events until the view has been queued ahead of them.
        NodeRecord self = joined;
        JoinAccepted.Builder a = JoinAccepted.newBuilder().setFirstProcessId(first)
            .setNodeToken(ByteString.copyFrom(session.token()));
        directory.nodes().forEach(r -> a.addNodes(feed.recordFor(self, r)));
        directory.names().forEach((name, pid) ->
            a.addNames(NameRecord.newBuilder().setName(name).setPid(pid.toString())));
        feed.open(self, JoinClusterResponse.newBuilder().setAccepted(a).build());
      }

      /** Ends the stream with {@code e}'s code, message and typed detail. */
      private void fail(TroupeException e) {
        done = true;
        LOG.warn("{}: refused a node: {}", label, e.getMessage());
        out.finish(c -> c.onError(dev.troupe.client.wire.GrpcErrors.toStatusException(e)));
      }

      private void fail(Status status, String message) {
        done = true;
        LOG.warn("{}: refused a node: {}", label, message);
        out.finish(c -> c.onError(status.withDescription(message).asRuntimeException()));
      }

      @Override
      public synchronized void onError(Throwable t) {
        out.close();
        ended("its registry stream broke (" + Status.fromThrowable(t).getCode() + ")");
      }

      @Override
      public synchronized void onCompleted() {
        // Completed in turn (after what is queued): the leaving node waits for it before it closes its
        // channel. (Closing the writer first dropped the completion, and every leave waited out its
        // timeout.)
        out.finish(StreamObserver::onCompleted);
        ended("node left");
      }

      private void ended(String reason) {
        done = true;
        if (stopping) {
          // Our own end cut the stream: the node lives on and rejoins the next registry. Declaring it
          // lost would tell the nodes whose streams are not cut yet that a live peer died.
          return;
        }
        if (listener != null) {
          directory.removeListener(listener);
        }
        if (node == null) {
          return;
        }
        Liveness.Session gone = session;
        liveness.forget(gone);
        if (!directory.token(gone.node()).map(t -> NodeCredentials.matches(t, gone.token())).orElse(false)) {
          return; // the node has moved its session to a newer stream (or another replica): not a loss
        }
        if (memberKey.length > 0) {
          members.ownerGone(node.name(), memberKey);
        }
        if (gone.node().shard() != null && directory.node(gone.node().shard().owner()).isPresent()) {
          // A worker JVM: its launcher sees its exit status and reports the cause (the signal) in
          // a moment; the broken stream counts only if that report does not come.
          CompletableFuture.delayedExecutor(memberLossWait.toMillis(), TimeUnit.MILLISECONDS)
              .execute(() -> directory.endSession(gone.node(), gone.token(), reason));
        } else {
          directory.endSession(gone.node(), gone.token(), reason);
        }
      }
    };
  }

  /**
   * The directory's changes, as frames on one joined node's stream. Until {@link #open} it holds
   * them: a change made while the node's view was being read must reach the node after that view,
   * or the node would apply it and then overwrite it with the older view (a live peer dropped from
   * its cache until the next change: the "not in the directory" failures after a registry restart).
   */
  private static final class NodeFeed implements DirectoryListener {
    private final ReadyGatedWriter<JoinClusterResponse, JoinClusterResponse> out;
    private final RegistryStore directory;
    private final String nodeName;
    /** The node this feed serves, as admitted: known once its join is done. */
    private NodeRecord recipient;
    /** Changes made before {@link #open}: made into frames then, when the recipient's record is known. */
    private List<java.util.function.Supplier<JoinClusterResponse>> held = new ArrayList<>();

    NodeFeed(ReadyGatedWriter<JoinClusterResponse, JoinClusterResponse> out, RegistryStore directory,
        String nodeName) {
      this.out = out;
      this.directory = directory;
      this.nodeName = nodeName;
    }

    /** {@code peer}'s record as {@code recipient} gets it: with the ticket it shows that peer. */
    dev.troupe.proto.registry.v1.NodeRecord recordFor(NodeRecord recipient, NodeRecord peer) {
      var r = ProtoRecords.toProto(peer);
      return peer.name().equals(recipient.name()) ? r
          : r.toBuilder().setPeerTicket(ByteString.copyFrom(directory.peerTicket(recipient, peer))).build();
    }

    /** Sends the node's view, then every change held since the feed was registered. */
    synchronized void open(NodeRecord recipient, JoinClusterResponse accepted) {
      this.recipient = recipient;
      out.enqueue(accepted, true);
      held.forEach(f -> out.enqueue(f.get(), true));
      held = null;
    }

    private synchronized void push(java.util.function.Supplier<JoinClusterResponse> frame) {
      if (held != null) {
        held.add(frame);
      } else {
        out.enqueue(frame.get(), true);
      }
    }

    @Override
    public void nodeUp(NodeRecord up) {
      if (!up.name().equals(nodeName)) {
        push(() -> JoinClusterResponse.newBuilder().setNodeUp(recordFor(recipient, up)).build());
      }
    }

    @Override
    public void nodeLost(NodeRecord lost, String reason) {
      push(() -> JoinClusterResponse.newBuilder().setNodeLost(NodeLost.newBuilder()
          .setNode(lost.name()).setIncarnation(lost.incarnation()).setReason(reason)).build());
    }

    @Override
    public void nameChanged(String name, Pid owner) {
      push(() -> JoinClusterResponse.newBuilder().setNameChanged(NameChanged.newBuilder()
          .setName(name).setPid(owner == null ? "" : owner.toString())).build());
    }
  }

  /**
   * Whether {@code n} may join: no live node has its name (a join under a live node's name would
   * replace it, and take its hosts and names: the name is free once the node's stream ends or it is
   * silent for the liveness timeout, so a restarted node retries), and a member must be one its owner
   * forked, of a host its owner serves.
   *
   * @throws TroupeException UNAVAILABLE or PERMISSION_DENIED (see JoinCluster in the .proto)
   */
  private void admit(NodeRecord n, dev.troupe.proto.registry.v1.NodeAnnouncement announce) {
    directory.node(n.name()).filter(live -> !movesSession(live, n, announce)).ifPresent(live -> {
      throw new TroupeException(ErrorCode.UNAVAILABLE, "node " + live.label() + " is live; a node of that name"
          + " may join once it is gone (its registry stream ends, or it is silent for "
          + liveness.timeout().toMillis() + " ms): retry then");
    });
    if (n.shard() != null) {
      directory.node(n.shard().owner()).filter(o -> !o.hosts().contains(n.shard().host())).ifPresent(o -> {
        throw new TroupeException(ErrorCode.PERMISSION_DENIED, "member " + n.label() + " names owner "
            + o.label() + ", which does not serve host " + n.shard().host());
      });
      members.admit(n, announce.getMemberToken().toByteArray());
    }
  }

  /** Whether the announce is the live incarnation itself, proving it with its session's token. */
  private boolean movesSession(NodeRecord live, NodeRecord n, dev.troupe.proto.registry.v1.NodeAnnouncement announce) {
    return live.incarnation() == n.incarnation() && directory.token(live)
        .map(t -> NodeCredentials.matches(t, announce.getNodeToken().toByteArray())).orElse(false);
  }

  /**
   * Lets the members of {@code owner}, a node that joined the directory in this JVM rather than over
   * JoinCluster (in-JVM test topologies), join with tokens made with {@code memberKey}.
   */
  public void admitMembersOf(String owner, byte[] memberKey) {
    members.ownerJoined(owner, memberKey);
  }

  /** Tells GetStatus callers which registry answered: its node's name and address. */
  public void answeredBy(String nodeAndAddress) {
    this.answeredBy = nodeAndAddress;
  }

  /**
   * This registry is about to stop (call before its server): the streams that end from now on are
   * ended by it, and no node is declared lost for that.
   */
  public void stop() {
    stopping = true;
  }

  /** Name calls served since start, by call (register, unregister, release, lookup). */
  public java.util.Map<String, Long> nameCalls() {
    return java.util.Map.of("register", registers.sum(), "unregister", unregisters.sum(),
        "release", releases.sum(), "lookup", lookups.sum());
  }

  /** Declares silent nodes lost; called periodically by the server. */
  public void checkLiveness() {
    for (Liveness.Session s : liveness.expire()) {
      directory.endSession(s.node(), s.token(), "no heartbeat for " + liveness.timeout().toMillis() + " ms");
    }
  }

  /** The node that makes a name call, if its token proves it is the live node it names. */
  private NodeRecord caller(String nodeName, ByteString token) {
    return directory.authenticate(nodeName, token.toByteArray()).orElseThrow(() -> new TroupeException(
        ErrorCode.PERMISSION_DENIED, directory.node(nodeName).isEmpty()
            ? "node '" + nodeName + "' has not joined the registry (or was declared lost); rejoin first"
            : "node_token is not the one node '" + nodeName + "' was given when it joined: only that node"
                + " may act for its processes (a node that rejoined must use its new token)"));
  }

  private static Pid pid(String text) {
    try {
      return Pid.parse(text);
    } catch (IllegalArgumentException e) {
      throw TroupeException.invalid(e.getMessage());
    }
  }

  @Override
  public void registerName(RegisterNameRequest r, StreamObserver<RegisterNameResponse> out) {
    registers.increment();
    unary(out, () -> directory.register(caller(r.getNode(), r.getNodeToken()), r.getName(), pid(r.getOwner())),
        v -> RegisterNameResponse.getDefaultInstance());
  }

  @Override
  public void unregisterName(UnregisterNameRequest r, StreamObserver<UnregisterNameResponse> out) {
    unregisters.increment();
    unary(out, () -> directory.unregister(caller(r.getNode(), r.getNodeToken()), r.getName(), pid(r.getOwner())),
        removed -> UnregisterNameResponse.newBuilder().setRemoved(removed).build());
  }

  @Override
  public void releaseNames(ReleaseNamesRequest r, StreamObserver<ReleaseNamesResponse> out) {
    releases.increment();
    unary(out, () -> directory.releaseAll(caller(r.getNode(), r.getNodeToken()), pid(r.getOwner())),
        names -> ReleaseNamesResponse.newBuilder().addAllNames(names).build());
  }

  @Override
  public void lookupName(LookupNameRequest r, StreamObserver<LookupNameResponse> out) {
    lookups.increment();
    unary(out, () -> directory.lookup(r.getName()), found -> LookupNameResponse.newBuilder()
        .setPid(found.orElseThrow(() -> TroupeException.notFound("name not registered: '" + r.getName() + "'"))
            .toString()).build());
  }

  @Override
  public void getStatus(GetStatusRequest r, StreamObserver<GetStatusResponse> out) {
    GetStatusResponse.Builder b = GetStatusResponse.newBuilder().setAnsweredBy(answeredBy).setStore(directory.describe());
    directory.nodes().forEach(n -> b.addNodes(ProtoRecords.toProto(n)));
    directory.names().forEach((name, pid) ->
        b.addNames(NameRecord.newBuilder().setName(name).setPid(pid.toString())));
    out.onNext(b.build());
    out.onCompleted();
  }

  private interface Call<T> {
    CompletableFuture<T> run();
  }

  /** One place where outcomes become statuses: every unary call goes through it. */
  private <T, R> void unary(StreamObserver<R> out, Call<T> call, Function<T, R> toResponse) {
    CompletableFuture<T> f;
    try {
      f = call.run();
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete((v, t) -> {
      try {
        if (t == null) {
          out.onNext(toResponse.apply(v));
          out.onCompleted();
          return;
        }
      } catch (RuntimeException e) {
        t = e;
      }
      out.onError(toStatus(t));
    });
  }

  private StatusRuntimeException toStatus(Throwable t) {
    Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    if (c instanceof TroupeException) {
      // With its typed detail (troupe.errordetails.v1) in the google.rpc.Status trailers.
      return dev.troupe.client.wire.GrpcErrors.toStatusException(c);
    }
    LOG.error("{}: unexpected registry failure", label, c);
    return Status.INTERNAL.withDescription("registry failure: " + c).asRuntimeException();
  }

}
