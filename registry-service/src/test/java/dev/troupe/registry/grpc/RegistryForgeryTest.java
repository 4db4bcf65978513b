package dev.troupe.registry.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.troupe.api.Pid;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.proto.registry.v1.JoinClusterRequest;
import dev.troupe.proto.registry.v1.JoinClusterResponse;
import dev.troupe.proto.registry.v1.NodeAnnouncement;
import dev.troupe.proto.registry.v1.RegisterNameRequest;
import dev.troupe.proto.registry.v1.RegistryServiceGrpc;
import dev.troupe.proto.registry.v1.ReleaseNamesRequest;
import dev.troupe.proto.registry.v1.UnregisterNameRequest;
import dev.troupe.registry.core.Liveness;
import dev.troupe.runtime.grpc.ProtoRecords;
import dev.troupe.runtime.grpc.RegistryClient;
import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.NodeCredentials;
import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.registry.Shard;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The registry acts on a process's names only for the node that serves that process, and admits as
 * a launcher's worker JVM only a JVM that launcher forked. The forger speaks the generated stubs
 * alone, as a program written from the .proto files would; it may even join as a node of its own.
 */
@Timeout(60)
class RegistryForgeryTest {
  private static final Pid SERVICE = Pid.of("app:launcher", 7);
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final byte[] launcherKey = NodeCredentials.newToken();
  private InMemoryDirectory directory;
  private Server registry;
  private ManagedChannel channel;
  private RegistryServiceGrpc.RegistryServiceBlockingStub forger;

  @BeforeEach
  void start() throws Exception {
    directory = new InMemoryDirectory();
    registry = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new RegistryGrpcService(directory,
            new Liveness(Duration.ofSeconds(30), System::currentTimeMillis), "registry-test"))
        .build().start();
    String address = "127.0.0.1:" + registry.getPort();
    RegistryClient launcher = new RegistryClient(address, RegistryClient.Settings.defaults());
    closing.add(launcher);
    launcher.memberKey(launcherKey);
    NodeRecord record = new NodeRecord("launcher", 1, "127.0.0.1:1", List.of("app:launcher", "app:processes"));
    launcher.join(record, Map.of(), dev.troupe.runtime.registry.DirectoryListener.DEAF);
    launcher.register(record, "service", SERVICE).get(5, TimeUnit.SECONDS);
    channel = Channels.open(address, ChannelSettings.defaults());
    forger = RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    registry.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** A raw JoinCluster: the first answer, or the status the registry ended it with. */
  private record Joined(JoinClusterResponse first, Status status, StreamObserver<JoinClusterRequest> stream) {}

  private Joined join(NodeRecord node, byte[] memberToken) throws Exception {
    return join(NodeAnnouncement.newBuilder().setNode(ProtoRecords.toProto(node))
        .setMemberToken(ByteString.copyFrom(memberToken)).build());
  }

  private Joined join(NodeAnnouncement announce) throws Exception {
    CompletableFuture<JoinClusterResponse> first = new CompletableFuture<>();
    dev.troupe.runtime.testing.StreamEnd<JoinClusterResponse> in = new dev.troupe.runtime.testing.StreamEnd<>(
        first::complete);
    CompletableFuture<Status> end = in.end;
    StreamObserver<JoinClusterRequest> out = RegistryServiceGrpc.newStub(channel).joinCluster(in);
    closing.add(() -> {
      try {
        out.onCompleted();
      } catch (RuntimeException ignored) {
        // already ended
      }
    });
    out.onNext(JoinClusterRequest.newBuilder().setAnnounce(announce).build());
    CompletableFuture.anyOf(first, end).get(10, TimeUnit.SECONDS);
    return first.isDone() ? new Joined(first.get(), Status.OK, out) : new Joined(null, end.get(), out);
  }

  private static Status.Code codeOf(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void nameCallsNamingTheServingNodeWithoutItsTokenAreRefusedAndMoveNoName() throws Exception {
    assertThat(codeOf(() -> forger.unregisterName(UnregisterNameRequest.newBuilder().setNode("launcher")
        .setName("service").setOwner(SERVICE.toString()).build()))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(codeOf(() -> forger.releaseNames(ReleaseNamesRequest.newBuilder().setNode("launcher")
        .setOwner(SERVICE.toString()).setNodeToken(ByteString.copyFrom(new byte[32])).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(codeOf(() -> forger.registerName(RegisterNameRequest.newBuilder().setNode("launcher")
        .setName("planted").setOwner(SERVICE.toString()).build()))).isEqualTo(Status.Code.PERMISSION_DENIED);

    assertThat(directory.lookup("service").get()).contains(SERVICE);
    assertThat(directory.lookup("planted").get()).isEmpty();
  }

  @Test
  void aNodeOfItsOwnCannotTouchTheNamesOfAnotherNodesProcesses() throws Exception {
    Joined mallory = join(new NodeRecord("mallory", 5, "127.0.0.1:2", List.of("app:mallory")), new byte[0]);
    ByteString token = mallory.first().getAccepted().getNodeToken();
    assertThat(token.size()).isEqualTo(NodeCredentials.TOKEN_BYTES);

    assertThat(codeOf(() -> forger.unregisterName(UnregisterNameRequest.newBuilder().setNode("mallory")
        .setNodeToken(token).setName("service").setOwner(SERVICE.toString()).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(codeOf(() -> forger.releaseNames(ReleaseNamesRequest.newBuilder().setNode("mallory")
        .setNodeToken(token).setOwner(SERVICE.toString()).build()))).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(codeOf(() -> forger.registerName(RegisterNameRequest.newBuilder().setNode("mallory")
        .setNodeToken(token).setName("planted").setOwner(SERVICE.toString()).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    // its token is its own: naming the launcher with it proves nothing
    assertThat(codeOf(() -> forger.unregisterName(UnregisterNameRequest.newBuilder().setNode("launcher")
        .setNodeToken(token).setName("service").setOwner(SERVICE.toString()).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    // and for its own processes it may
    assertThat(codeOf(() -> forger.registerName(RegisterNameRequest.newBuilder().setNode("mallory")
        .setNodeToken(token).setName("mine").setOwner("{app:mallory|0x00001}").build())))
        .isEqualTo(Status.Code.OK);

    assertThat(directory.lookup("service").get()).contains(SERVICE);
    assertThat(directory.lookup("planted").get()).isEmpty();
  }

  private static NodeRecord member(String name, long incarnation, String owner) {
    return new NodeRecord(name, incarnation, "127.0.0.1:3", List.of(), new Shard("app:processes", 0, 0, owner, false));
  }

  @Test
  void onlyAJvmItsLauncherForkedJoinsAsItsWorkerAndItsTokenServesOnce() throws Exception {
    assertThat(join(member("launcher-w1", 11, "launcher"), new byte[0]).status().getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(join(member("launcher-w1", 11, "launcher"), NodeCredentials.memberToken(NodeCredentials.newToken(),
        "launcher-w1")).status().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    // a token for another member's name
    assertThat(join(member("launcher-w1", 11, "launcher"), NodeCredentials.memberToken(launcherKey, "launcher-w2"))
        .status().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(directory.node("launcher-w1")).isEmpty();

    byte[] token = NodeCredentials.memberToken(launcherKey, "launcher-w1");
    Joined real = join(member("launcher-w1", 11, "launcher"), token);
    assertThat(real.status().getCode()).isEqualTo(Status.Code.OK);
    assertThat(real.first().hasAccepted()).isTrue();
    assertThat(directory.node("launcher-w1")).map(NodeRecord::incarnation).contains(11L);

    // the same token, by another incarnation (a copy of it, or a replay): refused while the member
    // lives (its name is taken), and after it is gone (the token served once)
    assertThat(join(member("launcher-w1", 12, "launcher"), token).status().getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(directory.node("launcher-w1")).map(NodeRecord::incarnation).contains(11L);
    real.stream().onCompleted();
    await().atMost(Duration.ofSeconds(15)).until(() -> directory.node("launcher-w1").isEmpty());
    assertThat(join(member("launcher-w1", 12, "launcher"), token).status().getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(directory.node("launcher-w1")).isEmpty();
  }

  @Test
  void noOneJoinsUnderTheNameOfALiveNodeNorTakesItsHostsOrNames() throws Exception {
    // as a new incarnation (a "restart"), and as the same one (a "rejoin"), at another address
    for (long incarnation : new long[] {2, 1}) {
      Joined impostor = join(new NodeRecord("launcher", incarnation, "127.0.0.1:9", List.of("app:launcher")),
          new byte[0]);
      assertThat(impostor.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }
    assertThat(directory.node("launcher")).map(NodeRecord::address).contains("127.0.0.1:1");
    assertThat(directory.lookup("service").get()).contains(SERVICE);
  }

  @Test
  void aNodeOfItsOwnCannotFoundAWorkerPoolOnAnotherNodesHost() throws Exception {
    byte[] key = NodeCredentials.newToken();
    Joined evil = join(NodeAnnouncement.newBuilder().setNode(ProtoRecords.toProto(
        new NodeRecord("evil", 5, "127.0.0.1:2", List.of("app:evil")))).setMemberKey(ByteString.copyFrom(key)).build());
    assertThat(evil.status().getCode()).isEqualTo(Status.Code.OK);

    NodeRecord member = new NodeRecord("evil-w1", 6, "127.0.0.1:3", List.of(),
        new Shard("app:launcher", 0, 0, "evil", false));
    assertThat(join(member, NodeCredentials.memberToken(key, "evil-w1")).status().getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(directory.members("app:launcher")).isEmpty();
  }

  @Test
  void namesClaimedAtJoinForAnotherNodesProcessAreIgnored() throws Exception {
    Joined mallory = join(NodeAnnouncement.newBuilder()
        .setNode(ProtoRecords.toProto(new NodeRecord("mallory", 5, "127.0.0.1:2", List.of("app:mallory"))))
        .addNames(dev.troupe.proto.registry.v1.NameRecord.newBuilder().setName("planted").setPid(SERVICE.toString()))
        .addNames(dev.troupe.proto.registry.v1.NameRecord.newBuilder().setName("own").setPid("{app:mallory|0x00002}"))
        .build());
    assertThat(mallory.status().getCode()).isEqualTo(Status.Code.OK);

    assertThat(directory.lookup("planted").get()).isEmpty();
    assertThat(directory.lookup("own").get()).contains(Pid.parse("{app:mallory|0x00002}"));
  }

  @Test
  void aMemberOfAnOwnerThatHasNotJoinedIsToldToRetry() throws Exception {
    assertThat(join(member("ghost-w1", 3, "ghost"), NodeCredentials.memberToken(launcherKey, "ghost-w1"))
        .status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }
}
