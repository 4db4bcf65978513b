package dev.troupe.registry.observer;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.TransportSecurity;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.process.LocalAttach;
import dev.troupe.runtime.registry.RegistryStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Troupe Observer: a live web view of the topology, served by the registry's node over plain HTTP
 * (loopback by default). The page ({@code /}) shows the nodes, names, processes and the worker pool
 * ({@code /api/state}) and a feed of spawns and EXITs pushed as server-sent events
 * ({@code /api/events}); a process can be terminated ({@code POST /api/terminate?pid=}).
 *
 * <p>Behind the topology's secret: {@code /?token=SECRET} (the process or the node secret) sets a
 * cookie that is an HMAC of the secret, never the secret itself; without it every data route
 * answers 401. A topology without secrets (TROUPE_INSECURE) is open.
 */
public final class ObserverServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ObserverServer.class);
  private static final String COOKIE = "troupe_observer";
  /** A keep-alive comment on an idle event stream, so that a dead page is noticed. */
  static final Duration KEEPALIVE = Duration.ofSeconds(15);

  private final Node node;
  private final HttpServer http;
  private final TopologySnapshot snapshot;
  private final EventFeed feed;
  private final List<byte[]> secrets = new ArrayList<>();
  private final List<String> cookies = new ArrayList<>();
  private volatile AttachedProcess operator;

  private ObserverServer(Node node, RegistryStore directory, String bind, int port, TransportSecurity security)
      throws IOException {
    this.node = node;
    for (String s : new String[] {security.secret(), security.nodeSecret()}) {
      if (s != null) {
        secrets.add(s.getBytes(StandardCharsets.UTF_8));
        cookies.add(cookieFor(s));
      }
    }
    this.snapshot = new TopologySnapshot(directory);
    this.feed = new EventFeed(directory, snapshot);
    this.http = HttpServer.create(new InetSocketAddress(InetAddress.getByName(bind), port), 0);
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.createContext("/", this::route);
    feed.start();
    http.start();
    LOG.info("{}: Observer at http://{}:{}/{}", node.label(), bind, http.getAddress().getPort(),
        secrets.isEmpty() ? "" : "?token=<the topology's secret>");
  }

  /** Serves the Observer of {@code node} (the registry's) at {@code bind:port} (0: a free port). */
  public static ObserverServer start(Node node, RegistryStore directory, String bind, int port,
      TransportSecurity security) throws IOException {
    return new ObserverServer(node, directory, bind, port, security);
  }

  public int port() {
    return http.getAddress().getPort();
  }

  private void route(HttpExchange x) throws IOException {
    try (x) {
      String path = x.getRequestURI().getPath();
      switch (path) {
        case "/observer.js" -> resource(x, "observer.js", "text/javascript");
        case "/observer.css" -> resource(x, "observer.css", "text/css");
        case "/" -> page(x);
        case "/api/state" -> {
          if (allowed(x)) {
            send(x, 200, "application/json", snapshot.take().toString());
          }
        }
        case "/api/events" -> {
          if (allowed(x)) {
            events(x);
          }
        }
        case "/api/terminate" -> {
          if (allowed(x)) {
            terminate(x);
          }
        }
        default -> send(x, 404, "text/plain", "not found: " + path);
      }
    } catch (IOException e) {
      LOG.debug("{}: observer request ended: {}", node.label(), e.toString());
    }
  }

  private void page(HttpExchange x) throws IOException {
    String token = query(x, "token");
    if (token != null && matchesSecret(token)) {
      x.getResponseHeaders().add("Set-Cookie", COOKIE + "=" + cookieFor(token)
          + "; Path=/; HttpOnly; SameSite=Strict");
      x.getResponseHeaders().add("Location", "/");
      x.sendResponseHeaders(303, -1);
      return;
    }
    if (allowed(x)) {
      resource(x, "index.html", "text/html; charset=utf-8");
    }
  }

  /** Whether the caller showed the secret; answers 401 if not. */
  private boolean allowed(HttpExchange x) throws IOException {
    if (secrets.isEmpty()) {
      return true;
    }
    String header = x.getRequestHeaders().getFirst("Cookie");
    if (header != null) {
      for (String part : header.split(";")) {
        String[] kv = part.strip().split("=", 2);
        if (kv.length == 2 && kv[0].equals(COOKIE) && cookies.stream().anyMatch(c -> MessageDigest.isEqual(
            c.getBytes(StandardCharsets.US_ASCII), kv[1].getBytes(StandardCharsets.US_ASCII)))) {
          return true;
        }
      }
    }
    send(x, 401, "text/plain; charset=utf-8", "Troupe Observer needs the topology's secret: open"
        + " /?token=SECRET, SECRET being the content of $TROUPE_HOME/secret (scripts/troupe observer"
        + " prints the whole address).");
    return false;
  }

  private boolean matchesSecret(String token) {
    byte[] t = token.getBytes(StandardCharsets.UTF_8);
    return secrets.stream().anyMatch(s -> MessageDigest.isEqual(s, t));
  }

  private static String cookieFor(String secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal("troupe-observer".getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private void events(HttpExchange x) throws IOException {
    x.getResponseHeaders().add("Content-Type", "text/event-stream");
    x.getResponseHeaders().add("Cache-Control", "no-cache");
    x.sendResponseHeaders(200, 0);
    EventFeed.Subscriber s = feed.subscribe();
    try (OutputStream out = x.getResponseBody()) {
      out.write(": troupe observer\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      long told = 0;
      while (true) {
        String event = s.events.poll(KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS);
        long dropped = s.dropped.get();
        if (dropped > told) {
          out.write(("event: dropped\ndata: " + dropped + "\n\n").getBytes(StandardCharsets.UTF_8));
          told = dropped;
        }
        out.write((event == null ? ": keepalive\n\n" : "data: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      feed.unsubscribe(s);
    }
  }

  private void terminate(HttpExchange x) throws IOException {
    if (!"POST".equals(x.getRequestMethod())) {
      send(x, 405, "text/plain", "terminate takes POST");
      return;
    }
    String pid = query(x, "pid");
    if (pid == null || pid.isBlank()) {
      send(x, 400, "text/plain", "terminate needs ?pid=, e.g. ?pid={app:processes|0x00004}");
      return;
    }
    try {
      operator().terminate(pid);
      LOG.info("{}: Observer terminated {}", node.label(), pid);
      send(x, 200, "text/plain", "terminated " + pid);
    } catch (TroupeException e) {
      send(x, switch (e.code()) {
        case NOT_FOUND -> 404;
        case INVALID_ARGUMENT -> 400;
        default -> 502;
      }, "text/plain", e.code() + ": " + e.getMessage());
    }
  }

  /** The process the Observer acts as (terminate), attached to the registry's node on first use. */
  private synchronized AttachedProcess operator() {
    if (operator == null) {
      operator = LocalAttach.attach(node, "", "observer");
    }
    return operator;
  }

  private static String query(HttpExchange x, String name) {
    String q = x.getRequestURI().getRawQuery();
    if (q == null) {
      return null;
    }
    for (String part : q.split("&")) {
      String[] kv = part.split("=", 2);
      if (kv[0].equals(name)) {
        return kv.length == 2 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "";
      }
    }
    return null;
  }

  private void resource(HttpExchange x, String name, String type) throws IOException {
    try (InputStream in = ObserverServer.class.getResourceAsStream("/observer/" + name)) {
      if (in == null) {
        send(x, 500, "text/plain", "missing resource " + name);
        return;
      }
      byte[] body = in.readAllBytes();
      x.getResponseHeaders().add("Content-Type", type);
      x.sendResponseHeaders(200, body.length);
      x.getResponseBody().write(body);
    }
  }

  private static void send(HttpExchange x, int code, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", type);
    x.sendResponseHeaders(code, b.length);
    x.getResponseBody().write(b);
  }

  @Override
  public void close() {
    feed.close();
    http.stop(0);
    snapshot.close();
    AttachedProcess op = operator;
    if (op != null) {
      op.close();
    }
  }
}
