package dev.troupe.runtime.grpc;

import dev.troupe.client.SecretCredentials;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;

/**
 * The node's half of the shared-secret check ({@link SecretCredentials} is the client's): clients send their secret in the {@code troupe-secret} header of every
 * call. Servers refuse a call without it, or with a secret they do not know, with UNAUTHENTICATED; a
 * call to a service only nodes may use (PeerService, RegistryService, NodeAdminService) made with the process secret,
 * when a node secret is set, with PERMISSION_DENIED. Health checks stay open, so that supervisors can
 * probe a node without a secret.
 */
public final class SharedSecretAuth {
  public static final Metadata.Key<String> HEADER = SecretCredentials.HEADER;

  /** The services only nodes may use. */
  static final Set<String> NODE_SERVICES = Set.of("troupe.peer.v1.PeerService", "troupe.registry.v1.RegistryService",
      "troupe.node.v1.NodeAdminService");

  private SharedSecretAuth() {}

  /** Refuses calls that do not carry {@code secret}: one secret for processes and nodes alike. */
  public static ServerInterceptor server(String secret) {
    return server(secret, null);
  }

  /**
   * Refuses calls that carry neither secret, and calls to {@link #NODE_SERVICES} that do not carry
   * {@code nodeSecret} (or, without one, {@code secret}). With a node secret alone, every service but
   * health takes it.
   */
  public static ServerInterceptor server(String secret, String nodeSecret) {
    byte[] process = bytes(secret);
    byte[] node = bytes(nodeSecret != null ? nodeSecret : secret);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String service = call.getMethodDescriptor().getServiceName();
        if ("grpc.health.v1.Health".equals(service)) {
          return next.startCall(call, headers);
        }
        boolean nodeOnly = NODE_SERVICES.contains(service);
        String given = headers.get(HEADER);
        byte[] g = given == null ? null : given.getBytes(StandardCharsets.UTF_8);
        boolean isNode = node != null && g != null && MessageDigest.isEqual(node, g);
        boolean isProcess = process != null && g != null && MessageDigest.isEqual(process, g);
        if (nodeOnly ? (node == null || isNode) : (isNode || isProcess)) {
          return next.startCall(call, headers);
        }
        Status refusal;
        if (g == null) {
          refusal = Status.UNAUTHENTICATED.withDescription("this node requires the topology's secret: set"
              + " TROUPE_SECRET_FILE (or TROUPE_SECRET), or let scripts/troupe up make ~/.troupe/secret");
        } else if (isProcess) {
          refusal = Status.PERMISSION_DENIED.withDescription(service + " is for nodes: it takes the node"
              + " secret (TROUPE_NODE_SECRET_FILE), which processes are not given");
        } else {
          // Constant-time comparisons above: the time taken must not tell how much of a guess was right.
          refusal = Status.UNAUTHENTICATED.withDescription(
              "wrong secret: TROUPE_SECRET_FILE / TROUPE_SECRET differs from this node's");
        }
        call.close(refusal, new Metadata());
        return new ServerCall.Listener<>() {};
      }
    };
  }

  private static byte[] bytes(String secret) {
    return secret == null ? null : secret.getBytes(StandardCharsets.UTF_8);
  }
}
