package dev.troupe.bench;

import dev.troupe.api.Message;
import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.Received;
import dev.troupe.bench.entries.SinkEntry;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.GrpcAttach;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Messaging across OS processes, side by side with the raw gRPC baseline, in alternating rounds so
 * that both see the same machine noise. This JVM is the client of everything:
 *
 * <ul>
 *   <li>baseline: ping-pong and one-way flood against the baseline server JVM;
 *   <li>direct: a client process attached (gRPC) to node B posts to a {@code bench:echo} /
 *       {@code bench:sink} process running on node B (another JVM): two OS processes, as the baseline;
 *   <li>peer: a client attached to node A posts to the same kind of process on node B: client JVM,
 *       node A's JVM, node B's JVM, node A to B over the batched peer stream.
 * </ul>
 *
 * 32-byte payloads ({@code byte[]}, the raw payload kind) throughout, fire-and-forget {@code post}.
 */
final class MessagingBench {
  private MessagingBench() {}

  private static final byte[] PAYLOAD = new byte[32];

  static void run(Args a) throws Exception {
    boolean quick = a.flag("quick");
    int warmup = a.getInt("warmup-rounds", quick ? 1 : 2);
    int rounds = a.getInt("rounds", quick ? 3 : 7);
    int rttN = a.getInt("rtt-count", quick ? 2000 : 10000);
    int floodN = a.getInt("flood-count", quick ? 60_000 : 200_000);
    String hostB = a.get("host-b");
    String nodeA = a.get("node-a", "");
    java.util.Set<String> variants = java.util.Set.of(
        a.get("variants", "grpc_rtt,grpc_rtt_blocking,ack_rtt,rtt,rtt_peer,grpc_tput,tput,tput_peer").split(","));

    Map<String, List<Double>> figures = new LinkedHashMap<>();
    Map<String, List<Double>> diags = new LinkedHashMap<>();
    long grpcPid = a.getLong("grpc-pid", -1);
    long nodeAPid = a.getLong("node-a-pid", -1);
    long nodeBPid = a.getLong("node-b-pid", -1);
    ProcStats.Meter baseMeter = new ProcStats.Meter().self("client").add("server", grpcPid);
    ProcStats.Meter directMeter = new ProcStats.Meter().self("client").add("node", nodeBPid);
    ProcStats.Meter peerMeter = new ProcStats.Meter().self("client").add("node_a", nodeAPid).add("node_b", nodeBPid);
    try (GrpcBaseline.Client grpc = new GrpcBaseline.Client(a.get("grpc"))) {
      AttachedProcess direct = GrpcAttach.attach(a.get("node-b"), "", "bench-direct", Duration.ofSeconds(10));
      AttachedProcess peer = nodeA.isEmpty() ? null
          : GrpcAttach.attach(nodeA, "", "bench-peer", Duration.ofSeconds(10));
      String echoDirect = direct.spawn("bench:echo", hostB);
      String sinkDirect = direct.spawn("bench:sink", hostB);
      String echoPeer = peer == null ? null : peer.spawn("bench:echo", hostB);
      String sinkPeer = peer == null ? null : peer.spawn("bench:sink", hostB);
      for (int r = 0; r < warmup + rounds; r++) {
        boolean measured = r >= warmup;
        int n = measured ? rttN : Math.max(1000, rttN / 2);
        int f = measured ? floodN : Math.max(20_000, floodN / 2);
        Stats.Samples s;

        if (variants.contains("grpc_rtt")) {
          baseMeter.start();
          s = grpc.rttCallback(n);
          addAll(diags, measured, ProcStats.perOp("grpc_rtt", baseMeter.stop(), n));
          add(figures, measured, "grpc_rtt_p50_us", s.percentile(50) / 1e3);
          add(figures, measured, "grpc_rtt_p99_us", s.percentile(99) / 1e3);
        }
        if (variants.contains("grpc_rtt_blocking")) {
          baseMeter.start();
          s = grpc.rttBlocking(n);
          addAll(diags, measured, ProcStats.perOp("grpc_rtt_blocking", baseMeter.stop(), n));
          add(figures, measured, "grpc_rtt_blocking_p50_us", s.percentile(50) / 1e3);
        }
        if (variants.contains("ack_rtt")) {
          directMeter.start();
          s = SpawnBench.nullRequests(direct, n);
          addAll(diags, measured, ProcStats.perOp("ack_rtt", directMeter.stop(), n));
          add(figures, measured, "ack_rtt_p50_us", s.percentile(50) / 1e3);
        }
        if (variants.contains("rtt")) {
          directMeter.start();
          s = troupeRtt(direct, echoDirect, n);
          addAll(diags, measured, ProcStats.perOp("rtt", directMeter.stop(), n));
          add(figures, measured, "rtt_p50_us", s.percentile(50) / 1e3);
          add(figures, measured, "rtt_p99_us", s.percentile(99) / 1e3);
        }
        if (peer != null && variants.contains("rtt_peer")) {
          peerMeter.start();
          s = troupeRtt(peer, echoPeer, n);
          addAll(diags, measured, ProcStats.perOp("rtt_peer", peerMeter.stop(), n));
          add(figures, measured, "rtt_peer_p50_us", s.percentile(50) / 1e3);
          add(figures, measured, "rtt_peer_p99_us", s.percentile(99) / 1e3);
        }
        if (variants.contains("grpc_tput")) {
          baseMeter.start();
          add(figures, measured, "grpc_tput_msgs_s", grpc.flood(f));
          addAll(diags, measured, ProcStats.perOp("grpc_tput", baseMeter.stop(), f));
        }
        if (variants.contains("tput")) {
          directMeter.start();
          add(figures, measured, "tput_msgs_s", troupeTput(direct, sinkDirect, f));
          addAll(diags, measured, ProcStats.perOp("tput", directMeter.stop(), f));
        }
        if (peer != null && variants.contains("tput_peer")) {
          peerMeter.start();
          add(figures, measured, "tput_peer_msgs_s", troupeTput(peer, sinkPeer, f));
          addAll(diags, measured, ProcStats.perOp("tput_peer", peerMeter.stop(), f));
        }
        Stats.log("messaging round %d%s: %s", r + 1, measured ? "" : " (warm-up)", lastOf(figures));
      }
      direct.post(echoDirect, "stop");
      direct.post(sinkDirect, "stop");
      if (peer != null) {
        peer.post(echoPeer, "stop");
        peer.post(sinkPeer, "stop");
        peer.close();
      }
      direct.close();
    }
    Map<String, Double> med = new LinkedHashMap<>();
    figures.forEach((k, v) -> med.put(k, Stats.median(v)));
    med.forEach(Stats::result);
    ratio(med, "rtt_vs_grpc", "rtt_p50_us", "grpc_rtt_p50_us");
    ratio(med, "tput_vs_grpc", "tput_msgs_s", "grpc_tput_msgs_s");
    ratio(med, "rtt_peer_vs_grpc", "rtt_peer_p50_us", "grpc_rtt_p50_us");
    ratio(med, "tput_peer_vs_grpc", "tput_peer_msgs_s", "grpc_tput_msgs_s");
    diags.forEach((k, v) -> ProcStats.diag(k, Stats.median(v)));
  }

  private static void ratio(Map<String, Double> med, String key, String num, String den) {
    if (med.containsKey(num) && med.containsKey(den)) {
      Stats.result(key, med.get(num) / med.get(den));
    }
  }

  private static void addAll(Map<String, List<Double>> diags, boolean measured, Map<String, Double> values) {
    if (measured) {
      values.forEach((k, v) -> diags.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }
  }

  private static final Map<String, Double> last = new LinkedHashMap<>();

  private static void add(Map<String, List<Double>> figures, boolean measured, String key, double v) {
    last.put(key, v);
    if (measured) {
      figures.computeIfAbsent(key, k -> new ArrayList<>()).add(v);
    }
  }

  private static String lastOf(Map<String, List<Double>> figures) {
    StringBuilder b = new StringBuilder();
    last.forEach((k, v) -> b.append(k).append('=').append(String.format(java.util.Locale.ROOT, "%.1f", v)).append(' '));
    return b.toString();
  }

  /** Request/reply: post a ping, block until the pong is received from the inbox. */
  static Stats.Samples troupeRtt(AttachedProcess c, String echo, int n) throws InterruptedException {
    Channel<Message> inbox = c.inbox();
    Stats.Samples s = new Stats.Samples(n);
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      c.post(echo, "ping", (Object) PAYLOAD);
      Message m = receive(inbox, Duration.ofSeconds(10), "pong");
      s.add(System.nanoTime() - t0);
      if (!"pong".equals(m.topic())) {
        throw new IllegalStateException("expected pong, got " + m.topic());
      }
    }
    return s;
  }

  /**
   * One-way: post {@code n} messages, then {@code end}; the sink answers with its count. The sink
   * acknowledges every {@link SinkEntry#ACK_EVERY}th message and the sender keeps at most
   * {@code WINDOW_ACKS} acknowledgements outstanding (at most ~5000 messages in flight): a flood without
   * a window fills the receiver's mailbox to its bound (100,000 messages) and measures queueing, then
   * refusals, instead of sustained throughput. A deeper window (16) was measured no faster: more queued
   * messages for the young collections to copy (BENCHMARKS.md, fifth session).
   */
  static double troupeTput(AttachedProcess c, String sink, int n) throws InterruptedException {
    Channel<Message> inbox = c.inbox();
    long t0 = System.nanoTime();
    long acked = 0;
    for (int i = 1; i <= n; i++) {
      c.post(sink, "m", (Object) PAYLOAD);
      if (i % SinkEntry.ACK_EVERY == 0) {
        while (i / SinkEntry.ACK_EVERY - acked > WINDOW_ACKS) {
          Message m = receive(inbox, Duration.ofSeconds(60), "ack");
          if ("ack".equals(m.topic())) {
            acked++;
          }
        }
      }
    }
    c.post(sink, "end");
    Message done;
    do {
      done = receive(inbox, Duration.ofSeconds(120), "done");
    } while (!"done".equals(done.topic()));
    long t1 = System.nanoTime();
    long got = ((Number) done.payload()).longValue();
    if (got != n) {
      throw new IllegalStateException("sink counted " + got + " of " + n + " messages");
    }
    return n / ((t1 - t0) / 1e9);
  }

  static final int WINDOW_ACKS = 4;

  static Message receive(Channel<Message> inbox, Duration timeout, String what) throws InterruptedException {
    Optional<Received<Message>> r = inbox.receive(timeout);
    if (r.isEmpty() || !r.get().ok()) {
      throw new IllegalStateException("no " + what + " within " + timeout);
    }
    return r.get().value();
  }
}
