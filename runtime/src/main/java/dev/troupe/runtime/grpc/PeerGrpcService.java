package dev.troupe.runtime.grpc;

import dev.troupe.proto.peer.v1.ConnectRequest;
import dev.troupe.proto.peer.v1.ConnectResponse;
import dev.troupe.proto.peer.v1.PeerHandshake;
import dev.troupe.proto.peer.v1.PeerHandshakeAck;
import dev.troupe.proto.peer.v1.PeerServiceGrpc;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.PeerStream;
import dev.troupe.runtime.registry.NodeRecord;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The receiving side of peer links: checks the handshake, then hands each envelope to the node. */
public final class PeerGrpcService extends PeerServiceGrpc.PeerServiceImplBase {
  private static final Logger LOG = LoggerFactory.getLogger(PeerGrpcService.class);
  /** Frames a stream may send before its node has joined the registry (a few ms): more is refused. */
  static final int MAX_HELD_FRAMES = 1024;
  private final Node node;

  public PeerGrpcService(Node node) {
    this.node = node;
  }

  @Override
  public StreamObserver<ConnectRequest> connect(StreamObserver<ConnectResponse> responses) {
    return new StreamObserver<>() {
      private PeerHandshake handshake;
      private PeerStream stream;
      private boolean done;
      /** Frames that came before this node knew its own credentials (see Directory#credentialsReady). */
      private List<ConnectRequest> held;
      /** The peer half-closed while frames were held: complete once they are handled. */
      private boolean completeAfterRelease;

      /** Handles the held frames, in order, once this node can check a ticket. */
      private synchronized void release() {
        List<ConnectRequest> frames = held;
        if (frames == null) {
          return; // the stream broke meanwhile
        }
        held = null;
        for (ConnectRequest f : frames) {
          onNext(f);
        }
        if (completeAfterRelease) {
          onCompleted();
        }
      }

      @Override
      public synchronized void onNext(ConnectRequest frame) {
        if (done) {
          return;
        }
        if (held != null) {
          if (held.size() >= MAX_HELD_FRAMES) {
            fail(Status.UNAVAILABLE, "node " + node.label() + " has not finished joining the registry; retry");
            return;
          }
          held.add(frame);
          return;
        }
        if (handshake == null && !node.directory().credentialsReady()) {
          held = new ArrayList<>(List.of(frame));
          node.directory().whenCredentialsReady(this::release);
          return;
        }
        if (handshake == null) {
          if (!frame.hasHandshake()) {
            fail(Status.FAILED_PRECONDITION, "the first frame on a peer stream must be a handshake");
            return;
          }
          PeerHandshake h = frame.getHandshake();
          if (!h.getToNode().equals(node.config().name()) || h.getToIncarnation() != node.incarnation()) {
            fail(Status.FAILED_PRECONDITION, "this is node " + node.label() + ", not "
                + h.getToNode() + "#" + Long.toHexString(h.getToIncarnation())
                + ": traffic for a previous incarnation is refused");
            return;
          }
          if (node.isLost(h.getFromNode(), h.getFromIncarnation())) {
            fail(Status.FAILED_PRECONDITION, "node " + h.getFromNode() + "#"
                + Long.toHexString(h.getFromIncarnation()) + " was declared lost; restart it");
            return;
          }
          NodeRecord claimed;
          try {
            claimed = ProtoRecords.fromProto(h.getFromRecord());
          } catch (IllegalArgumentException e) {
            fail(Status.INVALID_ARGUMENT, "malformed from_record in the handshake: " + e.getMessage());
            return;
          }
          if (!claimed.name().equals(h.getFromNode()) || claimed.incarnation() != h.getFromIncarnation()
              || !node.directory().admitsPeer(node.self(), claimed, h.getTicket().toByteArray())) {
            fail(Status.PERMISSION_DENIED, "node " + h.getFromNode() + "#" + Long.toHexString(h.getFromIncarnation())
                + " showed no valid ticket for " + node.label() + ": only a node the registry admitted may"
                + " open a peer stream, and only as itself");
            return;
          }
          handshake = h;
          stream = new PeerStream(claimed);
          responses.onNext(ConnectResponse.newBuilder().setHandshakeAck(PeerHandshakeAck.newBuilder()
              .setNode(node.config().name()).setIncarnation(node.incarnation())
              .setAcceptsStringTables(true)).build());
          return;
        }
        switch (frame.getFrameCase()) {
          case BATCH -> node.onEnvelopes(stream, frame.getBatch());
          case HEARTBEAT -> {}
          default -> fail(Status.INVALID_ARGUMENT, "unexpected peer frame " + frame.getFrameCase());
        }
      }

      private void fail(Status status, String message) {
        done = true;
        LOG.warn("{}: refusing a peer stream: {}", node.label(), message);
        responses.onError(status.withDescription(message).asRuntimeException());
      }

      @Override
      public synchronized void onError(Throwable t) {
        done = true;
        held = null;
        peerGone("peer stream broke: " + Status.fromThrowable(t).getCode());
      }

      @Override
      public synchronized void onCompleted() {
        if (held != null) {
          completeAfterRelease = true;
          return;
        }
        done = true;
        responses.onCompleted();
      }

      private void peerGone(String reason) {
        PeerHandshake h = handshake;
        if (h == null) {
          return;
        }
        node.directory().node(h.getFromNode())
            .filter(n -> n.incarnation() == h.getFromIncarnation())
            .ifPresent(n -> node.peerFailed(n, reason));
      }
    };
  }
}
