package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.client.TransportSecurity;
import dev.troupe.proto.node.v1.NodeAdminServiceGrpc;
import dev.troupe.proto.registry.v1.GetStatusRequest;
import dev.troupe.proto.registry.v1.RegistryServiceGrpc;
import dev.troupe.systemtests.Topology.Run;
import dev.troupe.systemtests.Topology.Service;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A topology started with the defaults is closed to strangers, as Erlang's is with its cookie: on first
 * use {@code scripts/troupe up} makes a process secret and a node secret that only their user can read;
 * the CLI finds the process secret by itself (and attaches with it); a program without it is
 * unauthenticated everywhere but health, and one with only the process secret (any participant) cannot
 * use the node services (registry, peer, admin).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SecureDefaultIT {
  private static Path home;
  private static Topology topology;

  @BeforeAll
  static void startWithAnEmptyHome() throws IOException {
    home = Files.createTempDirectory(Path.of("target"), "troupe-home-").toAbsolutePath();
    Files.delete(home); // `up` makes it, as it makes ~/.troupe
    topology = Topology.named("secure-default").home(home).build();
    topology.up();
  }

  @AfterAll
  static void stop() {
    if (topology != null) {
      topology.close();
    }
  }

  private static String read(String file) throws IOException {
    return Files.readAllLines(home.resolve(file)).get(0).strip();
  }

  /** Runs {@code call} on a channel to {@code s} that carries {@code security}; the status it ended with. */
  private static Status.Code callAs(TransportSecurity security, Service s, Consumer<ManagedChannel> call) {
    ManagedChannel ch = Channels.open(topology.address(s), ChannelSettings.defaults(), security);
    try {
      call.accept(ch);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    } finally {
      Channels.close(ch);
    }
  }

  private static Status.Code getStatus(TransportSecurity security) {
    return callAs(security, Service.REGISTRY, ch -> RegistryServiceGrpc.newBlockingStub(ch)
        .withDeadlineAfter(10, TimeUnit.SECONDS).getStatus(GetStatusRequest.getDefaultInstance()));
  }

  private static Status.Code listProcesses(TransportSecurity security) {
    return callAs(security, Service.RELAY, ch -> NodeAdminServiceGrpc.newBlockingStub(ch)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .listProcesses(dev.troupe.proto.node.v1.ListProcessesRequest.getDefaultInstance()));
  }

  @Test
  void upMakesBothSecretsReadableOnlyByTheirUser() throws IOException {
    for (String f : List.of("secret", "node-secret")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve(f)))).as(f)
          .isEqualTo("rw-------");
      assertThat(read(f)).as(f).matches("[0-9a-f]{64}");
    }
    assertThat(read("secret")).isNotEqualTo(read("node-secret"));
  }

  @Test
  void theCliFindsTheSecretByItself() {
    Run cli = topology.cliThroughPipe("hello world\n", Map.of(), Duration.ofSeconds(60),
        Topology.PATIENT_REPLY.toArray(String[]::new));
    assertThat(cli.exitCode()).as(cli.describe()).isZero();
    assertThat(cli.lines()).as(cli.describe()).contains("  HELLO WORLD");
  }

  @Test
  void withoutTheSecretNothingButHealthAnswersAndTheProcessSecretDoesNotMakeANode() throws IOException {
    TransportSecurity none = TransportSecurity.NONE;
    TransportSecurity process = new TransportSecurity(read("secret"), null, null, null, null);
    TransportSecurity node = new TransportSecurity(read("secret"), read("node-secret"), null, null, null);

    assertThat(listProcesses(none)).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(getStatus(none)).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(listProcesses(process)).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(getStatus(process)).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(listProcesses(node)).isEqualTo(Status.Code.OK);
    assertThat(getStatus(node)).isEqualTo(Status.Code.OK);
  }

  /**
   * The attacks a participant could make as a node, each with the process secret it holds: opening a
   * peer stream as the launcher, taking the relay's name, joining as the launcher's next worker JVM.
   */
  @Test
  void aParticipantCannotActAsANode() throws Exception {
    TransportSecurity process = new TransportSecurity(read("secret"), null, null, null, null);
    String relayPid = status().getNamesList().stream().filter(n -> n.getName().equals("relay")).findFirst()
        .orElseThrow().getPid();

    Status.Code peer = callAs(process, Service.RELAY, ch -> {
      var in = new dev.troupe.runtime.testing.StreamEnd<dev.troupe.proto.peer.v1.ConnectResponse>();
      var end = in.end;
      dev.troupe.proto.peer.v1.PeerServiceGrpc.newStub(ch).connect(in).onNext(dev.troupe.proto.peer.v1.ConnectRequest.newBuilder().setHandshake(
          dev.troupe.proto.peer.v1.PeerHandshake.newBuilder().setFromNode("launcher").setToNode("relay")).build());
      throw end.orTimeout(10, TimeUnit.SECONDS).join().asRuntimeException();
    });
    assertThat(peer).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(callAs(process, Service.REGISTRY, ch -> RegistryServiceGrpc.newBlockingStub(ch)
        .withDeadlineAfter(10, TimeUnit.SECONDS).unregisterName(dev.troupe.proto.registry.v1.UnregisterNameRequest
            .newBuilder().setNode("relay").setName("relay").setOwner(relayPid).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(callAs(process, Service.REGISTRY, ch -> {
      // accepted (OK) or refused, whichever comes first
      var end = new java.util.concurrent.CompletableFuture<Status>();
      var in = new dev.troupe.runtime.testing.StreamEnd<dev.troupe.proto.registry.v1.JoinClusterResponse>(
          accepted -> end.complete(Status.OK));
      in.end.thenAccept(end::complete);
      RegistryServiceGrpc.newStub(ch).joinCluster(in).onNext(dev.troupe.proto.registry.v1.JoinClusterRequest.newBuilder().setAnnounce(
          dev.troupe.proto.registry.v1.NodeAnnouncement.newBuilder().setNode(dev.troupe.proto.registry.v1.NodeRecord
              .newBuilder().setNode("launcher-w99").setIncarnation(7).setAddress("127.0.0.1:1")
              .setShard(dev.troupe.proto.registry.v1.Shard.newBuilder().setHost("app:processes").setOwner("launcher"))))
          .build());
      throw end.orTimeout(10, TimeUnit.SECONDS).join().asRuntimeException();
    })).isEqualTo(Status.Code.PERMISSION_DENIED);

    var after = status();
    assertThat(after.getNamesList()).anyMatch(n -> n.getName().equals("relay") && n.getPid().equals(relayPid));
    assertThat(after.getNodesList()).noneMatch(n -> n.getNode().equals("launcher-w99"));
  }

  /** The registry's view, asked as a node of this topology (the operator's scripts do the same). */
  private static dev.troupe.proto.registry.v1.GetStatusResponse status() throws IOException {
    TransportSecurity node = new TransportSecurity(read("secret"), read("node-secret"), null, null, null);
    ManagedChannel ch = Channels.open(topology.address(Service.REGISTRY), ChannelSettings.defaults(), node);
    try {
      return RegistryServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .getStatus(GetStatusRequest.getDefaultInstance());
    } finally {
      Channels.close(ch);
    }
  }
}
