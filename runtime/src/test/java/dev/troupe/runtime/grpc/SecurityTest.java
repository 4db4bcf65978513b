package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Message;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.client.TransportSecurity;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachServiceGrpc;
import dev.troupe.proto.node.v1.Hello;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.TestCluster;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class SecurityTest {
  private TestCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    TransportSecurity.setProcess(TransportSecurity.NONE);
  }

  private TestCluster cluster(TransportSecurity security) {
    TransportSecurity.setProcess(security);
    cluster = new TestCluster(Entries.catalog());
    return cluster;
  }

  private static Status attachWith(String address, TransportSecurity security) {
    ManagedChannel ch = Channels.open(address, ChannelSettings.defaults(), security);
    try {
      // A bidi stream needs the async stub: open it, say hello, and wait for the first outcome.
      // The first answer (attached) or the end of the stream, whichever comes first.
      java.util.concurrent.CompletableFuture<Status> outcome = new java.util.concurrent.CompletableFuture<>();
      var stream = new dev.troupe.runtime.testing.StreamEnd<dev.troupe.proto.node.v1.AttachResponse>(
          first -> outcome.complete(Status.OK));
      stream.end.thenAccept(outcome::complete);
      AttachServiceGrpc.newStub(ch).attach(stream)
          .onNext(AttachRequest.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1)).build());
      return outcome.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void nodesWithTheSameSecretWorkTogetherAndStrangersAreUnauthenticated() throws Exception {
    // given two nodes sharing a secret
    TransportSecurity shared = new TransportSecurity("s3cret-cookie", null, null, null);
    cluster(shared).startNode("n1");
    cluster.startNode("n2");
    String address = cluster.server("n1").address();

    // then a client with the secret works across both nodes
    AttachedProcess client = cluster.attachRemote("n1");
    String worker = client.spawn("test:upper", "app:n2", client.pid(), "ok");
    Message reply = client.inbox().receive(Duration.ofSeconds(5)).orElseThrow().value();
    assertThat(reply.from()).isEqualTo(worker);

    // and callers without it, or with another, are refused with UNAUTHENTICATED and a hint
    Status none = attachWith(address, TransportSecurity.NONE);
    assertThat(none.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(none.getDescription()).contains("TROUPE_SECRET_FILE");
    Status wrong = attachWith(address, new TransportSecurity("guess", null, null, null));
    assertThat(wrong.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(wrong.getDescription()).contains("wrong secret");

    // while health stays open for supervisors
    ManagedChannel ch = Channels.open(address, ChannelSettings.defaults(), TransportSecurity.NONE);
    try {
      assertThat(HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.getDefaultInstance()).getStatus())
          .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void withANodeSecretTheProcessSecretOpensTheProcessServicesButNotThoseOfNodes() throws Exception {
    // given nodes that hold both secrets (as scripts/troupe gives them)
    cluster(new TransportSecurity("process-secret", "node-secret", null, null, null)).startNode("n1");
    cluster.startNode("n2");
    String address = cluster.server("n1").address();
    TransportSecurity process = new TransportSecurity("process-secret", null, null, null, null);

    // then the nodes work together (peer streams take the node secret)
    AttachedProcess client = cluster.attachRemote("n1");
    String worker = client.spawn("test:upper", "app:n2", client.pid(), "ok");
    assertThat(client.inbox().receive(Duration.ofSeconds(5)).orElseThrow().value().from()).isEqualTo(worker);

    // and a process with the process secret attaches, but may not open a peer stream
    assertThat(attachWith(address, process).getCode()).isEqualTo(Status.Code.OK);
    ManagedChannel ch = Channels.open(address, ChannelSettings.defaults(), process);
    try {
      var peer = new dev.troupe.runtime.testing.StreamEnd<dev.troupe.proto.peer.v1.ConnectResponse>();
      dev.troupe.proto.peer.v1.PeerServiceGrpc.newStub(ch).connect(peer)
          .onNext(dev.troupe.proto.peer.v1.ConnectRequest.getDefaultInstance());
      Status refused = peer.end.get(5, TimeUnit.SECONDS);
      assertThat(refused.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(refused.getDescription()).contains("TROUPE_NODE_SECRET_FILE");
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void aClientFindsTheSecretTroupeUpMadeUnlessToldOtherwise(@TempDir Path home) throws Exception {
    Files.writeString(home.resolve("secret"), "made-by-up\n");
    Files.writeString(home.resolve("node-secret"), "never-for-clients\n");
    Map<String, String> env = Map.of("TROUPE_HOME", home.toString());

    assertThat(TransportSecurity.forClient(env).secret()).isEqualTo("made-by-up");
    assertThat(TransportSecurity.forClient(env).nodeSecret()).isNull();
    assertThat(TransportSecurity.forClient(Map.of("TROUPE_HOME", home.toString(), "TROUPE_SECRET", "given"))
        .secret()).isEqualTo("given");
    assertThat(TransportSecurity.forClient(Map.of("TROUPE_HOME", home.toString(), "TROUPE_INSECURE", "1"))
        .secret()).isNull();
    // a service reads only what it is given
    assertThat(TransportSecurity.fromEnvironment(env).secret()).isNull();
    assertThat(TransportSecurity.fromEnvironment(Map.of("TROUPE_NODE_SECRET_FILE", home.resolve("node-secret")
        .toString())).nodeSecret()).isEqualTo("never-for-clients");
  }

  @Test
  void aJavaClientWithoutASecretOfItsOwnAttachesWithTheOneTroupeUpMade(@TempDir Path home) throws Exception {
    Files.writeString(home.resolve("secret"), "made-by-up\n");
    Map<String, String> env = Map.of("TROUPE_HOME", home.toString());

    TransportSecurity.setProcess(TransportSecurity.NONE);
    assertThat(TransportSecurity.client(env).secret()).isEqualTo("made-by-up");
    assertThat(TransportSecurity.client(env).nodeSecret()).isNull();
    assertThat(TransportSecurity.client(Map.of("TROUPE_HOME", home.toString(), "TROUPE_INSECURE", "1")).secret())
        .isNull();
    // a process given its own secret keeps it
    TransportSecurity.setProcess(new TransportSecurity("own", null, null, null));
    assertThat(TransportSecurity.client(env).secret()).isEqualTo("own");
  }

  @Test
  void theSecretIsReadFromAFileOrTheEnvironmentNeverFromArguments(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("secret");
    Files.writeString(file, "from-file\n");
    assertThat(TransportSecurity.fromEnvironment(Map.of("TROUPE_SECRET_FILE", file.toString())).secret())
        .isEqualTo("from-file");
    assertThat(TransportSecurity.fromEnvironment(Map.of("TROUPE_SECRET", "from-env")).secret())
        .isEqualTo("from-env");
    assertThat(TransportSecurity.fromEnvironment(Map.of()).secret()).isNull();
    Files.writeString(file, "");
    assertThatThrownBy(() -> TransportSecurity.fromEnvironment(Map.of("TROUPE_SECRET_FILE", file.toString())))
        .isInstanceOfSatisfying(TroupeException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
  }

  @Test
  void mutualTlsAcceptsCertifiedPeersAndRefusesOthers(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make test certificates");
    Path ca = dir.resolve("ca.pem");
    Path caKey = dir.resolve("ca.key");
    Path cert = dir.resolve("node.pem");
    Path key = dir.resolve("node.key");
    Path ext = dir.resolve("ext.cnf");
    Files.writeString(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=troupe-ca",
        "-keyout", caKey.toString(), "-out", ca.toString());
    run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=node", "-keyout",
        dir.resolve("node.key.pkcs1").toString(), "-out", dir.resolve("node.csr").toString());
    run(dir, "openssl", "x509", "-req", "-in", dir.resolve("node.csr").toString(), "-CA", ca.toString(),
        "-CAkey", caKey.toString(), "-CAcreateserial", "-days", "2", "-extfile", ext.toString(),
        "-out", cert.toString());
    run(dir, "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", dir.resolve("node.key.pkcs1").toString(),
        "-out", key.toString());

    TransportSecurity mtls = new TransportSecurity(null, cert, key, ca);
    cluster(mtls).startNode("n1");
    cluster.startNode("n2");
    AttachedProcess client = cluster.attachRemote("n1");
    client.spawn("test:upper", "app:n2", client.pid(), "tls");
    Message reply = client.inbox().receive(Duration.ofSeconds(5)).orElseThrow().value();
    assertThat(((Map<?, ?>) reply.payload()).get("data")).isEqualTo("TLS");

    String address = cluster.server("n1").address();
    assertThat(attachWith(address, TransportSecurity.NONE).getCode())
        .as("plaintext to a TLS node").isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(attachWith(address, new TransportSecurity(null, null, null, ca)).getCode())
        .as("TLS without a client certificate to a mutual-TLS node").isEqualTo(Status.Code.UNAVAILABLE);
  }

  private static void run(Path dir, String... cmd) throws Exception {
    Process p = new ProcessBuilder(List.of(cmd)).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }
}
