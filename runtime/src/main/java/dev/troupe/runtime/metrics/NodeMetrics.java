package dev.troupe.runtime.metrics;

import dev.troupe.client.wire.Frames;
import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.runtime.grpc.NodeServer;
import dev.troupe.runtime.grpc.PeerConnections;
import dev.troupe.runtime.node.LocalProcess;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.ProcessObserver;
import dev.troupe.runtime.registry.NodeRecord;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.IOException;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's Prometheus metrics, served on {@code /metrics} over plain HTTP on a port of its own. Off
 * unless a port is given (a node then loads none of this). Values are read from the node when it is
 * scraped: the hot paths only bump the node's {@code NodeCounters}. A service adds its own families
 * to {@link #registry()} (the launcher its worker pool, the registry its names).
 */
public final class NodeMetrics implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeMetrics.class);
  /** Peer request times, in seconds: 50 us to 10 s (the default request timeout). */
  private static final double[] REQUEST_BUCKETS = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

  /** The depth classes of {@code troupe_mailboxes}: by order of magnitude. */
  private static final String[] DEPTHS = {"0", "1-9", "10-99", "100-999", "1000+"};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Node node;
  private final ProcessObserver exits;
  private final HTTPServer http;

  private NodeMetrics(NodeServer server, String bind, int port) throws IOException {
    this.node = server.node();
    JvmMetrics.builder().register(registry);
    Info.builder().name("troupe_node_info").help("This node: its name and incarnation (always 1)")
        .labelNames("node", "incarnation").register(registry)
        .addLabelValues(node.config().name(), Long.toHexString(node.incarnation()));
    processes();
    this.exits = exitsByKind();
    node.addObserver(exits);
    messages();
    peers(server::peers);
    calls(server);
    this.http = HTTPServer.builder().inetAddress(InetAddress.getByName(bind)).port(port).registry(registry)
        .buildAndStart();
    LOG.info("{}: metrics at http://{}:{}/metrics", node.label(), bind, http.getPort());
  }

  /** Registers the node's families and serves them at {@code bind:port} (0: a free port). */
  public static NodeMetrics serve(NodeServer server, String bind, int port) throws IOException {
    return new NodeMetrics(server, bind, port);
  }

  /** Where a service adds families of its own. */
  public PrometheusRegistry registry() {
    return registry;
  }

  public int port() {
    return http.getPort();
  }

  private void processes() {
    GaugeWithCallback.builder().name("troupe_processes_live").help("Live processes on this node, by host")
        .labelNames("host").callback(cb -> {
          Map<String, Integer> byHost = new HashMap<>();
          node.hosts().forEach(h -> byHost.put(h.name(), 0));
          for (LocalProcess p : node.processes()) {
            byHost.merge(p.pid().host(), 1, Integer::sum);
          }
          byHost.forEach((host, n) -> cb.call(n, host));
        }).register(registry);
    CounterWithCallback.builder().name("troupe_processes_started_total")
        .help("Processes started on this node (spawned or attached) since it started")
        .callback(cb -> cb.call(node.startedTotal())).register(registry);
    GaugeWithCallback.builder().name("troupe_mailbox_depth_max")
        .help("Messages waiting in the fullest mailbox of this node's processes")
        .callback(cb -> cb.call(mailboxes()[0])).register(registry);
    GaugeWithCallback.builder().name("troupe_mailboxes")
        .help("This node's processes by the depth of their mailbox, now (depth: 0, 1-9, 10-99, 100-999, 1000+)")
        .labelNames("depth").callback(cb -> {
          long[] byDepth = new long[DEPTHS.length];
          for (LocalProcess p : node.processes()) {
            int b = p.sink().backlog();
            byDepth[b <= 0 ? 0 : Math.min(DEPTHS.length - 1, 1 + (int) Math.log10(b))]++;
          }
          for (int i = 0; i < DEPTHS.length; i++) {
            cb.call(byDepth[i], DEPTHS[i]);
          }
        }).register(registry);
    GaugeWithCallback.builder().name("troupe_mailbox_messages")
        .help("Messages waiting in all mailboxes of this node's processes")
        .callback(cb -> cb.call(mailboxes()[1])).register(registry);
  }

  /** {max, sum} of the backlogs of this node's processes. */
  private long[] mailboxes() {
    long max = 0;
    long sum = 0;
    for (LocalProcess p : node.processes()) {
      int b = p.sink().backlog();
      max = Math.max(max, b);
      sum += b;
    }
    return new long[] {max, sum};
  }

  private ProcessObserver exitsByKind() {
    Counter counter = Counter.builder().name("troupe_process_exits_total")
        .help("Exits of this node's processes, by kind (normal, or the error kind: error, crashed,"
            + " terminated, node_lost, linked_process_failed, ...)")
        .labelNames("kind").register(registry);
    counter.initLabelValues("normal");
    return new ProcessObserver() {
      @Override
      public void started(LocalProcess process) {}

      @Override
      public void exited(LocalProcess process, ExitResult result) {
        counter.labelValues(Frames.kindName(result)).inc();
      }
    };
  }

  private void messages() {
    var counters = node.counters();
    CounterWithCallback.builder().name("troupe_messages_delivered_total")
        .help("User messages put into the mailboxes of this node's processes")
        .callback(cb -> cb.call(counters.deliveredLocally())).register(registry);
    CounterWithCallback.builder().name("troupe_messages_sent_to_peers_total")
        .help("User messages this node handed to its peer streams")
        .callback(cb -> cb.call(counters.sentToPeers())).register(registry);
    CounterWithCallback.builder().name("troupe_messages_received_from_peers_total")
        .help("User messages that came in on peer streams")
        .callback(cb -> cb.call(counters.receivedFromPeers())).register(registry);
    CounterWithCallback.builder().name("troupe_process_events_total")
        .help("EXIT, LINK_DOWN and CANCEL given to this node's processes, by event and kind")
        .labelNames("event", "kind").callback(cb -> counters.eventsGiven().forEach((k, n) -> {
          int slash = k.indexOf('/');
          cb.call(n, k.substring(0, slash), k.substring(slash + 1));
        })).register(registry);
    Histogram requests = Histogram.builder().name("troupe_peer_request_duration_seconds")
        .help("Requests this node made of its peers (spawn, monitor, link, terminate, cancel), sent to answered")
        .unit(Unit.SECONDS).labelNames("kind", "outcome").classicOnly().classicUpperBounds(REQUEST_BUCKETS)
        .register(registry);
    counters.timeRequestsWith((kind, nanos, ok) ->
        requests.labelValues(kind, ok ? "ok" : "error").observe(nanos / 1e9));
  }

  private void calls(NodeServer server) {
    CounterWithCallback.builder().name("troupe_grpc_server_calls_started_total")
        .help("gRPC calls this node's server took, by method (an attach or peer stream is one call)")
        .labelNames("method").callback(cb -> server.callsStarted().forEach((m, n) -> cb.call(n, m)))
        .register(registry);
    CounterWithCallback.builder().name("troupe_grpc_server_calls_ended_total")
        .help("gRPC calls this node's server ended, by method and status code").labelNames("method", "code")
        .callback(cb -> server.callsEnded().forEach((k, n) -> {
          int space = k.lastIndexOf(' ');
          cb.call(n, k.substring(0, space), k.substring(space + 1));
        })).register(registry);
  }

  private void peers(Supplier<PeerConnections> peers) {
    GaugeWithCallback.builder().name("troupe_peers_live").help("Other nodes this node knows as live")
        .callback(cb -> {
          NodeRecord self = node.self();
          cb.call(node.directory().liveNodes().stream()
              .filter(n -> self == null || !n.name().equals(self.name())).count());
        }).register(registry);
    GaugeWithCallback.builder().name("troupe_peer_requests_pending")
        .help("Requests sent to peers that wait for their replies")
        .callback(cb -> cb.call(node.pendingPeerRequests())).register(registry);
    GaugeWithCallback.builder().name("troupe_peer_link_queued")
        .help("Envelopes queued for a peer's stream, not yet written").labelNames("peer")
        .callback(cb -> links(peers).forEach(l -> cb.call(l.queued(), l.peer()))).register(registry);
    CounterWithCallback.builder().name("troupe_peer_link_batches_total")
        .help("Stream messages (batches of envelopes) written to a peer").labelNames("peer")
        .callback(cb -> links(peers).forEach(l -> cb.call(l.batches(), l.peer()))).register(registry);
    CounterWithCallback.builder().name("troupe_peer_link_envelopes_total")
        .help("Envelopes written to a peer").labelNames("peer")
        .callback(cb -> links(peers).forEach(l -> cb.call(l.envelopes(), l.peer()))).register(registry);
    CounterWithCallback.builder().name("troupe_peer_link_bytes_total")
        .help("Bytes of the envelopes written to a peer").labelNames("peer")
        .callback(cb -> links(peers).forEach(l -> cb.call(l.bytes(), l.peer()))).register(registry);
  }

  private static java.util.List<PeerConnections.LinkStats> links(Supplier<PeerConnections> peers) {
    PeerConnections p = peers.get();
    return p == null ? java.util.List.of() : p.stats();
  }

  @Override
  public void close() {
    node.removeObserver(exits);
    node.counters().timeRequestsWith(dev.troupe.runtime.node.NodeCounters.RequestTimer.NONE);
    http.close();
  }
}
