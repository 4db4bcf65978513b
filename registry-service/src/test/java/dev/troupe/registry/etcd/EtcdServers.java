package dev.troupe.registry.etcd;

import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Real etcd servers for tests: Debian's {@code etcd-server} (3.4), started on loopback ports of their
 * own with a data directory of their own, as one member or a cluster, and stopped by PID. Without the
 * {@code etcd} binary a test is skipped on a developer's machine, and fails under CI ({@code CI=true}),
 * where {@code .ci/run} installs it.
 */
public final class EtcdServers implements AutoCloseable {
  /** How long a member or a cluster may take to answer after it starts. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  /** One member: its name, client port and OS process (null while stopped). */
  public static final class Member {
    final String name;
    final int clientPort;
    final int peerPort;
    final Path dataDir;
    Process process;
    ManagedChannel channel;

    Member(String name, int clientPort, int peerPort, Path dataDir) {
      this.name = name;
      this.clientPort = clientPort;
      this.peerPort = peerPort;
      this.dataDir = dataDir;
    }

    public String endpoint() {
      return "http://127.0.0.1:" + clientPort;
    }

    public long pid() {
      return process.pid();
    }
  }

  private final Path root;
  private final List<Member> members = new ArrayList<>();
  private final String initialCluster;

  private EtcdServers(int size) throws IOException {
    root = Files.createTempDirectory("troupe-etcd");
    List<String> peers = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      Member m = new Member("m" + i, freePort(), freePort(), root.resolve("m" + i));
      members.add(m);
      peers.add(m.name + "=http://127.0.0.1:" + m.peerPort);
    }
    initialCluster = String.join(",", peers);
  }

  /** Starts a cluster of {@code size} members and waits until it has a leader. */
  public static EtcdServers start(int size) throws IOException {
    Optional<Path> binary = binary();
    if (binary.isEmpty()) {
      String why = "etcd is not installed (apt-get install etcd-server); .ci/run installs it";
      if ("true".equals(System.getenv("CI"))) {
        throw new IllegalStateException(why);
      }
      Assumptions.abort(why);
    }
    EtcdServers s = new EtcdServers(size);
    try {
      for (Member m : s.members) {
        s.launch(m, binary.get());
      }
      s.awaitLeader();
    } catch (RuntimeException | IOException e) {
      s.close();
      throw e;
    }
    return s;
  }

  static Optional<Path> binary() {
    String fromEnv = System.getenv("TROUPE_ETCD_BIN");
    if (fromEnv != null && Files.isExecutable(Path.of(fromEnv))) {
      return Optional.of(Path.of(fromEnv));
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path p = Path.of(dir, "etcd");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private void launch(Member m, Path binary) throws IOException {
    Files.createDirectories(m.dataDir);
    run(m, binary, "new");
    if (m.channel == null) {
      m.channel = NettyChannelBuilder.forAddress("127.0.0.1", m.clientPort).usePlaintext().build();
    }
  }

  /** Starts member {@code m}'s OS process; {@code state}: "new" cluster, or "existing" to rejoin it. */
  private void run(Member m, Path binary, String state) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(binary.toString(), "--name", m.name, "--data-dir", m.dataDir.toString(),
        "--listen-client-urls", m.endpoint(), "--advertise-client-urls", m.endpoint(),
        "--listen-peer-urls", "http://127.0.0.1:" + m.peerPort,
        "--initial-advertise-peer-urls", "http://127.0.0.1:" + m.peerPort,
        "--initial-cluster", initialCluster, "--initial-cluster-state", state,
        "--initial-cluster-token", root.getFileName().toString(),
        "--heartbeat-interval", "100", "--election-timeout", "1000", "--pre-vote=true",
        "--logger", "zap", "--log-outputs", m.dataDir.resolve("etcd.log").toString())
        .redirectErrorStream(true).redirectOutput(m.dataDir.resolve("etcd.out").toFile());
    m.process = pb.start();
  }

  /** Every member's endpoint, comma-separated, for {@link EtcdSettings#of}. */
  public String endpoints() {
    return String.join(",", members.stream().map(Member::endpoint).toList());
  }

  public List<Member> members() {
    return members;
  }

  /** The member that leads now (waits until one does). */
  public Member leader() {
    return await().atMost(START_TIMEOUT).until(this::currentLeader, Optional::isPresent).orElseThrow();
  }

  private Optional<Member> currentLeader() {
    for (Member m : members) {
      Optional<StatusResponse> st = status(m);
      if (st.isPresent() && st.get().getLeader() != 0 && st.get().getLeader() == st.get().getHeader().getMemberId()) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }

  private static Optional<StatusResponse> status(Member m) {
    if (m.process == null || !m.process.isAlive()) {
      return Optional.empty();
    }
    try {
      return Optional.of(MaintenanceGrpc.newBlockingStub(m.channel).withDeadlineAfter(500, TimeUnit.MILLISECONDS)
          .status(StatusRequest.getDefaultInstance()));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Waits until the members that run agree on a leader. */
  public void awaitLeader() {
    leader();
  }

  /** Kills a member's OS process (SIGKILL, by PID) and waits until it is gone. */
  public void kill(Member m) {
    m.process.destroyForcibly();
    try {
      m.process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    m.process = null;
  }

  /** Starts a killed member again on its data directory. */
  public void restart(Member m) throws IOException {
    run(m, binary().orElseThrow(), "existing");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() {
    for (Member m : members) {
      if (m.process != null) {
        kill(m);
      }
      if (m.channel != null) {
        m.channel.shutdownNow();
      }
    }
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
