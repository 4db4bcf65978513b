package dev.troupe.runtime.grpc;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.Executor;

/**
 * The shared-secret check: clients send the secret in the {@code troupe-secret} header of every call,
 * and servers refuse calls without it, or with another, with UNAUTHENTICATED. Health checks stay open,
 * so that supervisors can probe a node without the secret.
 */
public final class SharedSecretAuth {
  public static final Metadata.Key<String> HEADER =
      Metadata.Key.of("troupe-secret", Metadata.ASCII_STRING_MARSHALLER);

  private SharedSecretAuth() {}

  /** Refuses calls that do not carry {@code secret}. */
  public static ServerInterceptor server(String secret) {
    byte[] expected = secret.getBytes(StandardCharsets.UTF_8);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getServiceName() != null
            && call.getMethodDescriptor().getServiceName().equals("grpc.health.v1.Health")) {
          return next.startCall(call, headers);
        }
        String given = headers.get(HEADER);
        if (given == null) {
          call.close(Status.UNAUTHENTICATED.withDescription(
              "this node requires the shared secret: set TROUPE_SECRET_FILE (or TROUPE_SECRET) to the"
                  + " topology's secret"), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        // Constant-time comparison: the time taken must not tell how much of a guess was right.
        if (!MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
          call.close(Status.UNAUTHENTICATED.withDescription(
              "wrong shared secret: TROUPE_SECRET_FILE / TROUPE_SECRET differs from this node's"),
              new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }

  /** Puts {@code secret} on every call of a channel. */
  public static CallCredentials client(String secret) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(HEADER, secret);
        applier.apply(m);
      }
    };
  }
}
