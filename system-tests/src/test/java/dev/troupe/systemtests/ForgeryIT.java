package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.proto.peer.v1.ConnectRequest;
import dev.troupe.proto.peer.v1.ConnectResponse;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.EnvelopeBatch;
import dev.troupe.proto.peer.v1.PeerDeliver;
import dev.troupe.proto.peer.v1.PeerHandshake;
import dev.troupe.proto.peer.v1.PeerServiceGrpc;
import dev.troupe.proto.registry.v1.JoinClusterRequest;
import dev.troupe.proto.registry.v1.JoinClusterResponse;
import dev.troupe.proto.registry.v1.NodeAnnouncement;
import dev.troupe.proto.registry.v1.NodeRecord;
import dev.troupe.proto.registry.v1.RegistryServiceGrpc;
import dev.troupe.proto.registry.v1.Shard;
import dev.troupe.proto.registry.v1.UnregisterNameRequest;
import dev.troupe.systemtests.Topology.Service;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The attacks of a local program on a topology started without secrets (TROUPE_INSECURE=1), as the
 * scripts start it: this test JVM is that program, speaking the generated stubs alone, with what
 * GetStatus tells anyone (the nodes' names, incarnations and hosts). Each is refused, and the
 * topology keeps answering echoes.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ForgeryIT {
  private static Topology topology;

  @BeforeAll
  static void start() {
    topology = Topology.named("forgery").insecure().build();
    topology.up();
    topology.awaitEchoWorks(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() {
    if (topology != null) {
      topology.close();
    }
  }

  private static NodeRecord node(String name) {
    return topology.status().getNodesList().stream().filter(n -> n.getNode().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no node " + name + " in " + topology.status()));
  }

  /** Sends {@code first} and then {@code rest} on a stream; the status it ended with. */
  @SafeVarargs
  private static <Q, R> Status endOf(java.util.function.Function<StreamObserver<R>, StreamObserver<Q>> open,
      Q first, Q... rest) throws Exception {
    dev.troupe.runtime.testing.StreamEnd<R> in = new dev.troupe.runtime.testing.StreamEnd<>();
    CompletableFuture<Status> end = in.end;
    StreamObserver<Q> out = open.apply(in);
    out.onNext(first);
    for (Q q : rest) {
      out.onNext(q);
    }
    return end.get(20, TimeUnit.SECONDS);
  }

  @Test
  void aProgramCannotSpeakAsTheLauncherToTheRelaysNode() throws Exception {
    NodeRecord launcher = node("launcher");
    NodeRecord relay = node("relay");
    String relayPid = topology.namesListed().get("relay");
    ManagedChannel ch = Channels.open(topology.address(Service.RELAY), ChannelSettings.defaults());
    try {
      Status s = ForgeryIT.<ConnectRequest, ConnectResponse>endOf(o -> PeerServiceGrpc.newStub(ch).connect(o),
          ConnectRequest.newBuilder().setHandshake(PeerHandshake.newBuilder()
              .setFromNode("launcher").setFromIncarnation(launcher.getIncarnation())
              .setToNode("relay").setToIncarnation(relay.getIncarnation()).setFromRecord(launcher)
              .setTicket(ByteString.copyFrom(new byte[32]))).build(),
          ConnectRequest.newBuilder().setBatch(EnvelopeBatch.newBuilder().addEnvelopes(Envelope.newBuilder()
              .setDeliver(PeerDeliver.newBuilder().setFrom("{app:processes|0x00001}").setTo(relayPid)
                  .setTopic("echo")))).build());
      assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    } finally {
      Channels.close(ch);
    }
    topology.awaitEchoWorks(Duration.ofSeconds(30));
  }

  @Test
  void aProgramCannotTakeTheRelaysNameAway() {
    String relayPid = topology.namesListed().get("relay");
    ManagedChannel ch = Channels.open(topology.address(Service.REGISTRY), ChannelSettings.defaults());
    try {
      StatusRuntimeException e = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
          () -> RegistryServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
              .unregisterName(UnregisterNameRequest.newBuilder().setNode("relay").setName("relay")
                  .setOwner(relayPid).build()));
      assertThat(e).isNotNull();
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    } finally {
      Channels.close(ch);
    }
    assertThat(topology.namesListed()).containsEntry("relay", relayPid);
    topology.awaitEchoWorks(Duration.ofSeconds(30));
  }

  @Test
  void aProgramCannotJoinAsTheLaunchersNextWorkerJvm() throws Exception {
    NodeRecord member = NodeRecord.newBuilder().setNode("launcher-w99").setIncarnation(42)
        .setAddress("127.0.0.1:1").setShard(Shard.newBuilder().setHost("app:processes").setOwner("launcher"))
        .build();
    ManagedChannel ch = Channels.open(topology.address(Service.REGISTRY), ChannelSettings.defaults());
    try {
      Status s = ForgeryIT.<JoinClusterRequest, JoinClusterResponse>endOf(
          o -> RegistryServiceGrpc.newStub(ch).joinCluster(o),
          JoinClusterRequest.newBuilder().setAnnounce(NodeAnnouncement.newBuilder().setNode(member)
              .setMemberToken(ByteString.copyFrom(new byte[32]))).build());
      assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    } finally {
      Channels.close(ch);
    }
    assertThat(topology.nodesListed()).doesNotContain("launcher-w99");
    topology.awaitEchoWorks(Duration.ofSeconds(30));
  }
}
