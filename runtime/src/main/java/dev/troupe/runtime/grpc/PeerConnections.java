package dev.troupe.runtime.grpc;

import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.client.EventLoops;
import dev.troupe.client.ReadyGatedWriter;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.peer.v1.ConnectRequest;
import dev.troupe.proto.peer.v1.ConnectResponse;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.PeerHandshake;
import dev.troupe.proto.peer.v1.PeerServiceGrpc;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.PeerTransport;
import dev.troupe.runtime.registry.NodeRecord;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's outgoing peer links: one channel and one Connect stream per peer incarnation, opened
 * lazily on the first envelope. When a link breaks, the peer is reported lost to the node: on
 * loopback and LAN a broken HTTP/2 connection (FIN, RST, or unanswered keepalive) means the peer
 * process is gone or unreachable.
 */
public final class PeerConnections implements PeerTransport {
  private static final Logger LOG = LoggerFactory.getLogger(PeerConnections.class);

  /**
   * Connect with requests as bytes: a link writes its batches with {@link PeerBatchEncoder}, and its
   * handshake with {@code toByteArray()}.
   */
  private static final MethodDescriptor<byte[], ConnectResponse> CONNECT =
      EncodedMessages.requestsAsBytes(PeerServiceGrpc.getConnectMethod());

  private final Node node;
  private final ChannelSettings settings;
  private final Map<String, Link> links = new ConcurrentHashMap<>();
  /**
   * The link the last send used: a flood goes to one peer, and finding its link by label (a string
   * built and hashed per message) was 5 % of a forwarding node's CPU. Compared by the record's
   * identity: the directory hands out one record per live node.
   */
  private volatile Link last;

  public PeerConnections(Node node, ChannelSettings settings) {
    this.node = node;
    this.settings = settings;
  }

  @Override
  public void send(NodeRecord peer, Envelope envelope, boolean control) {
    Link link = link(peer);
    link.writer.enqueue(new PeerBatchEncoder.Built(envelope), control);
  }

  @Override
  public void deliver(NodeRecord peer, String to, String from, String topic, List<Payload> payloads) {
    link(peer).writer.enqueue(new PeerBatchEncoder.Message(to, from, topic, payloads), false);
  }

  private Link link(NodeRecord peer) {
    Link link = last;
    if (link == null || link.peer != peer || link.closed) {
      link = links.computeIfAbsent(peer.label(), k -> new Link(peer));
      last = link;
    }
    return link;
  }

  @Override
  public void drop(NodeRecord peer) {
    Link link = links.remove(peer.label());
    if (link != null) {
      link.close();
    }
  }

  /**
   * One outgoing peer link's figures: envelopes queued now, what it has written since it opened, and
   * whether the peer took string tables (its handshake ack said so).
   */
  public record LinkStats(String peer, int queued, long batches, long envelopes, long bytes, boolean stringTables) {}

  /** The figures of each open link. */
  public java.util.List<LinkStats> stats() {
    java.util.List<LinkStats> out = new java.util.ArrayList<>();
    for (Link l : links.values()) {
      var w = l.writer;
      if (w != null) {
        out.add(new LinkStats(l.peer.label(), w.backlog(), w.messagesWritten(), w.itemsWritten(), w.bytesWritten(),
            l.encoder.usesTables()));
      }
    }
    return out;
  }

  public void shutdown() {
    links.values().forEach(Link::close);
    links.clear();
  }

  private final class Link implements ClientResponseObserver<byte[], ConnectResponse> {
    private final NodeRecord peer;
    private final ManagedChannel channel;
    private volatile ReadyGatedWriter<PeerBatchEncoder.Item, byte[]> writer;
    private final PeerBatchEncoder encoder = new PeerBatchEncoder();
    private volatile ClientCallStreamObserver<byte[]> call;
    /** Removed from {@link #links}: a send that remembered it looks it up again. */
    private volatile boolean closed;

    Link(NodeRecord peer) {
      this.peer = peer;
      this.channel = Channels.open(peer.address(), settings);
      // Detached from the calling context: a link opened while serving some client's call must not be
      // cancelled when that call ends.
      io.grpc.Context.ROOT.run(() ->
          ClientCalls.asyncBidiStreamingCall(channel.newCall(CONNECT, CallOptions.DEFAULT), this));
      this.writer = new ReadyGatedWriter<>(call, encoder::encode, PeerBatchEncoder.Item::size,
          settings.maxBatch(), settings.maxBatchBytes())
          .drainOn(EventLoops.writer());
      // The handshake is the first message: it names the incarnation we mean to reach.
      // With who we are and the registry's proof of it for this peer (see NodeCredentials).
      NodeRecord me = node.self();
      call.onNext(ConnectRequest.newBuilder().setHandshake(PeerHandshake.newBuilder()
          .setFromNode(node.config().name()).setFromIncarnation(node.incarnation())
          .setToNode(peer.name()).setToIncarnation(peer.incarnation())
          .setFromRecord(ProtoRecords.toProto(me))
          .setTicket(com.google.protobuf.ByteString.copyFrom(node.directory().peerTicket(me, peer))))
          .build().toByteArray());
      writer.drain();
      LOG.debug("{}: opened peer link to {} at {}", node.label(), peer.label(), peer.address());
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<byte[]> requestStream) {
      this.call = requestStream;
      requestStream.setOnReadyHandler(() -> {
        ReadyGatedWriter<PeerBatchEncoder.Item, byte[]> w = writer;
        if (w != null) {
          w.drain();
        }
      });
    }

    @Override
    public void onNext(ConnectResponse value) {
      if (value.hasHandshakeAck() && value.getHandshakeAck().getAcceptsStringTables()) {
        encoder.useTables();
      }
    }

    @Override
    public void onError(Throwable t) {
      broken("peer link broke: " + Status.fromThrowable(t).getCode() + " "
          + Status.fromThrowable(t).getDescription());
    }

    @Override
    public void onCompleted() {
      broken("peer closed the link");
    }

    private void broken(String reason) {
      if (links.remove(peer.label(), this)) {
        closed = true;
        writer.close();
        channel.shutdownNow();
        node.peerFailed(peer, reason);
      }
    }

    void close() {
      closed = true;
      writer.close();
      try {
        call.cancel("peer dropped", null);
      } catch (RuntimeException ignored) {
        // already closed
      }
      channel.shutdownNow();
    }
  }
}
