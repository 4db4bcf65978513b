package dev.troupe.registry.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.proto.errordetails.v1.NodeDeclaredLostFailure;
import dev.troupe.proto.registry.v1.JoinClusterRequest;
import dev.troupe.proto.registry.v1.JoinClusterResponse;
import dev.troupe.proto.registry.v1.NodeAnnouncement;
import dev.troupe.proto.registry.v1.NodeHeartbeat;
import dev.troupe.proto.registry.v1.RegistryServiceGrpc;
import dev.troupe.registry.core.Liveness;
import dev.troupe.runtime.grpc.ProtoRecords;
import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.NodeRecord;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node the registry declared lost (silent too long) that speaks again is told so with a typed
 * detail, {@code NodeDeclaredLostFailure}, that its client acts on (fail-stop), not with text to match.
 */
@Timeout(30)
class DeclaredLostTest {
  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aNodeThatSpeaksAfterBeingDeclaredLostGetsTheTypedDetail() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000);
    InMemoryDirectory directory = new InMemoryDirectory();
    RegistryGrpcService service = new RegistryGrpcService(directory,
        new Liveness(Duration.ofMillis(2_500), now::get), "registry-test");
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
    channel = Channels.open("127.0.0.1:" + server.getPort(), ChannelSettings.defaults());
    CompletableFuture<JoinClusterResponse> accepted = new CompletableFuture<>();
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    StreamObserver<JoinClusterRequest> out = RegistryServiceGrpc.newStub(channel).joinCluster(new StreamObserver<>() {
      @Override
      public void onNext(JoinClusterResponse r) {
        if (r.hasAccepted()) {
          accepted.complete(r);
        }
      }

      @Override
      public void onError(Throwable t) {
        ended.complete(t);
      }

      @Override
      public void onCompleted() {
        ended.complete(null);
      }
    });
    NodeRecord node = new NodeRecord("sleeper", 7, "127.0.0.1:1", List.of("app:sleeper"));
    out.onNext(JoinClusterRequest.newBuilder().setAnnounce(NodeAnnouncement.newBuilder()
        .setNode(ProtoRecords.toProto(node))).build());
    accepted.get(10, TimeUnit.SECONDS);

    // when: it is silent past the liveness timeout, then speaks
    now.addAndGet(3_000);
    service.checkLiveness();
    assertThat(directory.node("sleeper")).isEmpty();
    out.onNext(JoinClusterRequest.newBuilder().setHeartbeat(NodeHeartbeat.newBuilder().setSentUnixMs(now.get())).build());

    // then
    com.google.rpc.Status status = StatusProto.fromThrowable(ended.get(10, TimeUnit.SECONDS));
    assertThat(status).isNotNull();
    assertThat(status.getCode()).isEqualTo(io.grpc.Status.Code.FAILED_PRECONDITION.value());
    assertThat(status.getDetailsList()).anySatisfy(d -> {
      NodeDeclaredLostFailure f = d.unpack(NodeDeclaredLostFailure.class);
      assertThat(f.getNode()).isEqualTo("sleeper");
      assertThat(f.getIncarnation()).isEqualTo(7);
    });
  }
}
