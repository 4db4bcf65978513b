package dev.troupe.client;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * How this OS process authenticates to other Troupe processes: two shared secrets and, optionally,
 * TLS. Read from the environment, never from the command line, where other users could see it in the
 * process list:
 *
 * <ul>
 *   <li>{@code TROUPE_SECRET_FILE}: a file holding the process secret (first line), or
 *   <li>{@code TROUPE_SECRET}: the secret itself. Every participant has it: it opens AttachService
 *       and WatchService, what a process uses;
 *   <li>{@code TROUPE_NODE_SECRET_FILE} or {@code TROUPE_NODE_SECRET}: the node secret, which only the
 *       nodes (services and worker JVMs) and the operator's scripts have: it also opens PeerService,
 *       RegistryService and NodeAdminService. A process given only the process secret cannot act as a node. Unset, the
 *       process secret opens those too (one secret, as Erlang's cookie);
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
public record TransportSecurity(String secret, String nodeSecret, Path tlsCert, Path tlsKey, Path tlsCa) {
  public static final TransportSecurity NONE = new TransportSecurity(null, null, null, null, null);

  /** Settings with one secret for processes and nodes alike. */
  public TransportSecurity(String secret, Path tlsCert, Path tlsKey, Path tlsCa) {
    this(secret, null, tlsCert, tlsKey, tlsCa);
  }

  /** The secret this process sends on its calls: the node secret if it has it (it is a node), else the process secret. */
  public String callerSecret() {
    return nodeSecret != null ? nodeSecret : secret;
  }

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

  /**
   * What this process attaches to a node with ({@link GrpcAttach}): its own settings when they hold a
   * secret; otherwise, as any client, the secret {@code scripts/troupe up} made ({@link #forClient}),
   * so that a Java program finds it by itself, as the CLI and the Python client do.
   */
  public static TransportSecurity client(Map<String, String> env) {
    return withDefaultSecret(process(), env);
  }

  /** {@code s}, or, if it holds no secret and TROUPE_INSECURE is unset, {@code s} with the default secret file's. */
  private static TransportSecurity withDefaultSecret(TransportSecurity s, Map<String, String> env) {
    Path fallback = defaultSecretFile(env);
    if (s.callerSecret() != null || !isEmpty(env.get("TROUPE_INSECURE")) || !Files.isRegularFile(fallback)) {
      return s;
    }
    return new TransportSecurity(readSecretFile("the default secret file " + fallback, fallback.toString()), null,
        s.tlsCert(), s.tlsKey(), s.tlsCa());
  }

  /** Replaces this process's settings (tests that play several parties in one JVM). */
  public static void setProcess(TransportSecurity security) {
    process = security;
  }

  /** @throws TroupeException FAILED_PRECONDITION when a named file cannot be read or is empty */
  public static TransportSecurity fromEnvironment(Map<String, String> env) {
    return new TransportSecurity(secret(env, "TROUPE_SECRET"), secret(env, "TROUPE_NODE_SECRET"),
        path(env, "TROUPE_TLS_CERT"), path(env, "TROUPE_TLS_KEY"), path(env, "TROUPE_TLS_CA"));
  }

  /**
   * The settings of a process that is only a client (the CLI): as {@link #fromEnvironment}, but with
   * no process secret set (and {@code TROUPE_INSECURE} unset) it takes the one {@code scripts/troupe up}
   * made, {@link #defaultSecretFile}, if that file exists; as Erlang finds {@code ~/.erlang.cookie}.
   * Never the node secret: a client is not a node.
   */
  public static TransportSecurity forClient(Map<String, String> env) {
    TransportSecurity s = fromEnvironment(env);
    return withDefaultSecret(new TransportSecurity(s.secret(), null, s.tlsCert(), s.tlsKey(), s.tlsCa()), env);
  }

  /** {@code $TROUPE_HOME/secret}, {@code TROUPE_HOME} defaulting to {@code ~/.troupe}. */
  public static Path defaultSecretFile(Map<String, String> env) {
    String home = env.get("TROUPE_HOME");
    if (isEmpty(home)) {
      String user = env.get("HOME");
      home = Path.of(isEmpty(user) ? System.getProperty("user.home") : user, ".troupe").toString();
    }
    return Path.of(home, "secret");
  }

  /** {@code NAME_FILE}'s first line, else {@code NAME}, else null. */
  private static String secret(Map<String, String> env, String name) {
    String file = env.get(name + "_FILE");
    if (!isEmpty(file)) {
      return readSecretFile(name + "_FILE=" + file, file);
    }
    return isEmpty(env.get(name)) ? null : env.get(name);
  }

  private static String readSecretFile(String what, String file) {
    String secret;
    try {
      secret = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8).stream()
          .findFirst().map(String::strip).orElse("");
    } catch (IOException e) {
      throw new TroupeException(ErrorCode.FAILED_PRECONDITION, what + " cannot be read: " + e.getMessage());
    }
    if (secret.isEmpty()) {
      throw new TroupeException(ErrorCode.FAILED_PRECONDITION, what + " is empty");
    }
    return secret;
  }

  private static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }

  private static Path path(Map<String, String> env, String key) {
    String v = env.get(key);
    return v == null || v.isEmpty() ? null : Path.of(v);
  }
}
