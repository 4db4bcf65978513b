package dev.troupe.runtime.grpc;

import dev.troupe.runtime.api.ErrorCode;
import dev.troupe.runtime.api.TroupeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * How this OS process authenticates to other Troupe processes: a shared secret (like Erlang's
 * cookie) and, optionally, TLS. Read from the environment, never from the command line, where other
 * users could see it in the process list:
 *
 * <ul>
 *   <li>{@code TROUPE_SECRET_FILE}: a file holding the secret (first line), or
 *   <li>{@code TROUPE_SECRET}: the secret itself;
 *   <li>{@code TROUPE_TLS_CERT} and {@code TROUPE_TLS_KEY}: PEM certificate chain and key of this
 *       process (servers present them; clients present them for mutual TLS);
 *   <li>{@code TROUPE_TLS_CA}: PEM CA bundle to verify peers with (and, on servers, to require and
 *       verify client certificates: mutual TLS).
 * </ul>
 *
 * <p>No secret: calls are not authenticated (fine on one machine's loopback, where services bind by
 * default). No TLS settings: plaintext.
 *
 * @param secret the shared secret, or null
 * @param tlsCert PEM certificate chain, or null for plaintext
 * @param tlsKey PEM private key, or null
 * @param tlsCa PEM CA bundle, or null
 */
public record TransportSecurity(String secret, Path tlsCert, Path tlsKey, Path tlsCa) {
  public static final TransportSecurity NONE = new TransportSecurity(null, null, null, null);

  private static volatile TransportSecurity process;

  public boolean tls() {
    return tlsCert != null || tlsCa != null;
  }

  /** The settings of this OS process, read from its environment once. */
  public static TransportSecurity process() {
    TransportSecurity s = process;
    if (s == null) {
      s = fromEnvironment(System.getenv());
      process = s;
    }
    return s;
  }

  /** Replaces this process's settings (tests that play several parties in one JVM). */
  public static void setProcess(TransportSecurity security) {
    process = security;
  }

  /** @throws TroupeException FAILED_PRECONDITION when a named file cannot be read or is empty */
  public static TransportSecurity fromEnvironment(Map<String, String> env) {
    String secret = null;
    String file = env.get("TROUPE_SECRET_FILE");
    if (file != null && !file.isEmpty()) {
      try {
        secret = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8).stream()
            .findFirst().map(String::strip).orElse("");
      } catch (IOException e) {
        throw new TroupeException(ErrorCode.FAILED_PRECONDITION,
            "TROUPE_SECRET_FILE=" + file + " cannot be read: " + e.getMessage());
      }
      if (secret.isEmpty()) {
        throw new TroupeException(ErrorCode.FAILED_PRECONDITION, "TROUPE_SECRET_FILE=" + file + " is empty");
      }
    } else if (env.get("TROUPE_SECRET") != null && !env.get("TROUPE_SECRET").isEmpty()) {
      secret = env.get("TROUPE_SECRET");
    }
    return new TransportSecurity(secret, path(env, "TROUPE_TLS_CERT"), path(env, "TROUPE_TLS_KEY"),
        path(env, "TROUPE_TLS_CA"));
  }

  private static Path path(Map<String, String> env, String key) {
    String v = env.get(key);
    return v == null || v.isEmpty() ? null : Path.of(v);
  }
}
