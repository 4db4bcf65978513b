package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.troupe.api.Message;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.client.wire.Frames;
import dev.troupe.client.wire.PayloadCodec;
import dev.troupe.proto.common.v1.EventKind;
import dev.troupe.proto.peer.v1.ConnectRequest;
import dev.troupe.proto.peer.v1.ConnectResponse;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.EnvelopeBatch;
import dev.troupe.proto.peer.v1.PeerDeliver;
import dev.troupe.proto.peer.v1.PeerEvent;
import dev.troupe.proto.peer.v1.PeerHandshake;
import dev.troupe.proto.peer.v1.PeerHandshakeAck;
import dev.troupe.proto.peer.v1.PeerServiceGrpc;
import dev.troupe.proto.peer.v1.PeerTerminate;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.testing.StreamEnd;
import dev.troupe.runtime.testing.TestCluster;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A program that reaches a node's PeerService (a local program on a topology without a secret, or a
 * node gone bad) cannot act for processes it does not serve: a node that never joined, or one that
 * claims another's name, is refused at the handshake; a node the registry admitted may send only as
 * its own processes. Real gRPC servers on loopback; the forger speaks the generated stubs alone.
 */
@Timeout(60)
class PeerForgeryTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private TestCluster cluster;
  private final List<ManagedChannel> channels = new java.util.ArrayList<>();

  @BeforeEach
  void start() {
    cluster = new TestCluster(new EntryCatalog());
    cluster.startNode("n1");
    cluster.startNode("n2");
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    cluster.close();
  }

  /** One peer stream from the forger to node {@code to}: what it writes, and how the node ended it. */
  private final class Forger {
    final CompletableFuture<PeerHandshakeAck> acked = new CompletableFuture<>();
    final StreamEnd<ConnectResponse> in = new StreamEnd<>(r -> {
      if (r.hasHandshakeAck()) {
        acked.complete(r.getHandshakeAck());
      }
    });
    final CompletableFuture<Status> end = in.end;
    final StreamObserver<ConnectRequest> out;

    Forger(String to) {
      ManagedChannel channel = Channels.open(cluster.server(to).address(), ChannelSettings.defaults());
      channels.add(channel);
      out = PeerServiceGrpc.newStub(channel).connect(in);
    }

    void handshake(NodeRecord as, NodeRecord to, byte[] ticket) {
      out.onNext(ConnectRequest.newBuilder().setHandshake(PeerHandshake.newBuilder()
          .setFromNode(as.name()).setFromIncarnation(as.incarnation())
          .setToNode(to.name()).setToIncarnation(to.incarnation())
          .setFromRecord(ProtoRecords.toProto(as)).setTicket(ByteString.copyFrom(ticket))).build());
    }

    void send(Envelope... envelopes) {
      out.onNext(ConnectRequest.newBuilder().setBatch(EnvelopeBatch.newBuilder().addAllEnvelopes(List.of(envelopes)))
          .build());
    }
  }

  private static Envelope deliver(String from, String to, String text) {
    return Envelope.newBuilder().setDeliver(PeerDeliver.newBuilder().setFrom(from).setTo(to).setTopic("t")
        .addPayloads(PayloadCodec.encode(text))).build();
  }

  private NodeRecord self(String node) {
    return cluster.node(node).self();
  }

  @Test
  void aNodeThatNeverJoinedIsRefusedAtTheHandshakeAndNothingItSendsIsDelivered() throws Exception {
    AttachedProcess victim = cluster.attachLocal("n1");
    AttachedProcess other = cluster.attachLocal("n2");
    NodeRecord intruder = new NodeRecord("intruder", 7, "127.0.0.1:1", List.of("app:intruder"));

    Forger f = new Forger("n1");
    f.handshake(intruder, self("n1"), new byte[32]);
    f.send(deliver(other.pid(), victim.pid(), "forged"));

    assertThat(f.end.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertNothingArrivesBefore(victim, other, "after");
  }

  @Test
  void aJoinedNodesNameAndIncarnationAreNotEnoughToSpeakAsIt() throws Exception {
    AttachedProcess victim = cluster.attachLocal("n1");
    AttachedProcess other = cluster.attachLocal("n2");

    // n2's record is public (GetStatus lists it); its ticket for n1 is not
    Forger f = new Forger("n1");
    f.handshake(self("n2"), self("n1"), new byte[0]);
    f.send(deliver(other.pid(), victim.pid(), "forged"));

    assertThat(f.end.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertNothingArrivesBefore(victim, other, "after");
  }

  @Test
  void aTicketProvesOnlyWhatItWasMadeFor() throws Exception {
    cluster.startNode("n3");
    NodeRecord n2 = self("n2");
    byte[] n2ToN1 = cluster.directory().peerTicket(n2, self("n1"));

    // replayed to another node
    Forger toN3 = new Forger("n3");
    toN3.handshake(n2, self("n3"), n2ToN1);
    assertThat(toN3.end.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);

    // shown for a record that claims one more host than the registry admitted
    NodeRecord greedy = new NodeRecord(n2.name(), n2.incarnation(), n2.address(), List.of("app:n2", "app:n1"));
    Forger widened = new Forger("n1");
    widened.handshake(greedy, self("n1"), n2ToN1);
    assertThat(widened.end.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);

    // shown by a node whose one host's name holds a separator, for a record that splits it in two
    NodeRecord tricky = new NodeRecord("tricky", 3, "127.0.0.1:1", List.of("app:tricky,app:n2"));
    cluster.directory().join(tricky, Map.of(), null);
    byte[] trickyToN1 = cluster.directory().peerTicket(tricky, self("n1"));
    NodeRecord split = new NodeRecord("tricky", 3, "127.0.0.1:1", List.of("app:tricky", "app:n2"));
    Forger splitting = new Forger("n1");
    splitting.handshake(split, self("n1"), trickyToN1);
    assertThat(splitting.end.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);

    // and as made, it opens the stream
    Forger honest = new Forger("n1");
    honest.handshake(n2, self("n1"), n2ToN1);
    honest.acked.get(10, TimeUnit.SECONDS);
  }

  @Test
  void anAdmittedNodeCannotSendTerminateOrReportAnExitForAnotherNodesProcess() throws Exception {
    AttachedProcess victim = cluster.attachLocal("n1");
    AttachedProcess watcher = cluster.attachLocal("n1");
    AttachedProcess other = cluster.attachLocal("n2");
    watcher.monitor(other.pid());
    // mallory joined the registry as a node of its own (anyone may, on a topology without a secret)
    NodeRecord mallory = new NodeRecord("mallory", 9, "127.0.0.1:1", List.of("app:mallory"));
    cluster.directory().join(mallory, Map.of(), null);
    String own = "{app:mallory|0x00001}";

    Forger f = new Forger("n1");
    f.handshake(mallory, self("n1"), cluster.directory().peerTicket(mallory, self("n1")));
    f.acked.get(10, TimeUnit.SECONDS);
    f.send(deliver(other.pid(), victim.pid(), "forged sender"),
        Envelope.newBuilder().setTerminate(PeerTerminate.newBuilder().setRequestId(1).setFrom(other.pid())
            .setTarget(victim.pid())).build(),
        Envelope.newBuilder().setEvent(PeerEvent.newBuilder().setTo(watcher.pid()).setEvent(
            Frames.event(EventKind.EVENT_KIND_EXIT, other.pid(), Frames.error(
                dev.troupe.proto.common.v1.ErrorKind.ERROR_KIND_FAILED, "forged")))).build(),
        deliver(own, victim.pid(), "own"));

    // what it sends as its own process arrives, after everything before it on the stream was handled
    Message m = victim.inbox().receive(WAIT).orElseThrow().value();
    assertThat(m.from()).isEqualTo(own);
    assertThat(m.payload()).isEqualTo("own");
    assertThat(victim.inbox().tryReceive()).isEmpty();
    assertThat(victim.hasEnded()).isFalse();
    assertThat(watcher.events().tryReceive()).isEmpty();
    assertThat(f.end).isNotDone(); // refused envelopes do not end the stream
  }

  @Test
  void aWorkerJvmTakesFromItsLauncherWhatTheLauncherForwardsForOthers() throws Exception {
    // m1 is a member of n1's shared host: a sender that saw a PID of m1 before m1 itself routes it
    // to n1, which forwards it with the sender it came from
    cluster.startMember("m1", "app:shared", "n1");
    AttachedProcess worker = cluster.attachLocal("m1");
    AttachedProcess other = cluster.attachLocal("n2");

    Forger launcher = new Forger("m1");
    launcher.handshake(self("n1"), self("m1"), cluster.directory().peerTicket(self("n1"), self("m1")));
    launcher.acked.get(10, TimeUnit.SECONDS);
    launcher.send(deliver(other.pid(), worker.pid(), "forwarded"));

    Message m = worker.inbox().receive(WAIT).orElseThrow().value();
    assertThat(m.from()).isEqualTo(other.pid());
    assertThat(m.payload()).isEqualTo("forwarded");
  }

  /** A deliver whose texts are references into the batch's string table. */
  private static Envelope deliverByRefs(int fromRef, int toRef, int topicRef, String text) {
    return Envelope.newBuilder().setDeliver(PeerDeliver.newBuilder().setFromRef(fromRef).setToRef(toRef)
        .setTopicRef(topicRef).addPayloads(PayloadCodec.encode(text))).build();
  }

  private Forger admitted(String as, String to) throws Exception {
    Forger f = new Forger(to);
    f.handshake(self(as), self(to), cluster.directory().peerTicket(self(as), self(to)));
    f.acked.get(10, TimeUnit.SECONDS);
    return f;
  }

  @Test
  void aNodeSaysItTakesStringTablesAndResolvesEachReferenceOfABatch() throws Exception {
    AttachedProcess receiver = cluster.attachLocal("n1");
    AttachedProcess sender = cluster.attachLocal("n2");
    Forger n2 = new Forger("n1");
    n2.handshake(self("n2"), self("n1"), cluster.directory().peerTicket(self("n2"), self("n1")));
    assertThat(n2.acked.get(10, TimeUnit.SECONDS).getAcceptsStringTables()).isTrue();

    n2.out.onNext(ConnectRequest.newBuilder().setBatch(EnvelopeBatch.newBuilder()
        .addStrings(sender.pid()).addStrings(receiver.pid()).addStrings("t")
        .addEnvelopes(deliverByRefs(1, 2, 3, "one")).addEnvelopes(deliverByRefs(1, 2, 3, "two"))
        .addEnvelopes(deliver(sender.pid(), receiver.pid(), "three"))).build()); // refs and texts mixed

    for (String expected : List.of("one", "two", "three")) {
      Message m = receiver.inbox().receive(WAIT).orElseThrow().value();
      assertThat(m.from()).isEqualTo(sender.pid());
      assertThat(m.topic()).isEqualTo("t");
      assertThat(m.payload()).isEqualTo(expected);
    }
  }

  @Test
  void aReferencePastTheTableDropsOnlyItsEnvelope() throws Exception {
    AttachedProcess receiver = cluster.attachLocal("n1");
    AttachedProcess sender = cluster.attachLocal("n2");
    Forger n2 = admitted("n2", "n1");

    n2.out.onNext(ConnectRequest.newBuilder().setBatch(EnvelopeBatch.newBuilder()
        .addStrings(sender.pid()).addStrings(receiver.pid())
        .addEnvelopes(deliverByRefs(1, 2, 3, "malformed"))
        .addEnvelopes(deliver(sender.pid(), receiver.pid(), "kept"))).build());

    assertThat(receiver.inbox().receive(WAIT).orElseThrow().value().payload()).isEqualTo("kept");
    assertThat(n2.end).as("the stream goes on").isNotDone();
  }

  @Test
  void aSenderNamedThroughTheTableMustStillBeOneThePeerServes() throws Exception {
    AttachedProcess victim = cluster.attachLocal("n1");
    AttachedProcess bystander = cluster.attachLocal("n1"); // a process of n1 itself, not of n2
    Forger n2 = admitted("n2", "n1");

    n2.out.onNext(ConnectRequest.newBuilder().setBatch(EnvelopeBatch.newBuilder()
        .addStrings(bystander.pid()).addStrings(victim.pid()).addStrings("t")
        .addEnvelopes(deliverByRefs(1, 2, 3, "forged"))).build());

    assertNothingArrivesBefore(victim, bystander, "after");
  }

  /** Nothing reached {@code victim} before a message {@code marker} that {@code sender} sends now. */
  private void assertNothingArrivesBefore(AttachedProcess victim, AttachedProcess sender, String marker)
      throws InterruptedException {
    sender.send(victim.pid(), "t", marker);
    Message m = victim.inbox().receive(WAIT).orElseThrow().value();
    assertThat(m.payload()).isEqualTo(marker);
  }
}
