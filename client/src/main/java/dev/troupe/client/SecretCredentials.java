package dev.troupe.client;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.concurrent.Executor;

/**
 * The client's half of the shared-secret check: the secret travels in the {@code troupe-secret}
 * header of every call. The node's half, which checks it, is {@code SharedSecretAuth}.
 */
public final class SecretCredentials {
  public static final Metadata.Key<String> HEADER =
      Metadata.Key.of("troupe-secret", Metadata.ASCII_STRING_MARSHALLER);

  private SecretCredentials() {}

  /** Puts {@code secret} on every call of a channel. */
  public static CallCredentials of(String secret) {
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
