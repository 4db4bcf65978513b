package dev.troupe.runtime.node;

import dev.troupe.proto.common.v1.ProcessEvent;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a node counts on its hot paths, for the metrics adapter to read when it is scraped: plain
 * adders, so a node without metrics pays an uncontended increment per message and nothing else.
 * Times of peer requests go to a {@link RequestTimer}, none unless metrics are on.
 */
public final class NodeCounters {
  /** Times peer requests, by kind (spawn, monitor, link, terminate, cancel), from sent to answered. */
  @FunctionalInterface
  public interface RequestTimer {
    RequestTimer NONE = (kind, nanos, ok) -> {};

    void observe(String kind, long nanos, boolean ok);
  }

  final LongAdder deliveredLocally = new LongAdder();
  final LongAdder sentToPeers = new LongAdder();
  final LongAdder receivedFromPeers = new LongAdder();
  /** Events given to local processes, by "event/kind" (e.g. "exit/crashed", "link_down/node_lost"). */
  private final Map<String, LongAdder> events = new ConcurrentHashMap<>();
  volatile RequestTimer requestTimer = RequestTimer.NONE;

  void eventGiven(ProcessEvent e) {
    String event = e.getKind().name().substring("EVENT_KIND_".length()).toLowerCase(Locale.ROOT);
    String kind = !e.hasResult() ? "none" : e.getResult().hasError()
        ? e.getResult().getError().getKind().name().substring("ERROR_KIND_".length()).toLowerCase(Locale.ROOT)
        : "normal";
    events.computeIfAbsent(event + "/" + kind, k -> new LongAdder()).increment();
  }

  /** EXIT, LINK_DOWN and CANCEL given to this node's processes, by "event/kind" (kind: normal, crashed, ...). */
  public Map<String, Long> eventsGiven() {
    Map<String, Long> out = new java.util.TreeMap<>();
    events.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** User messages put into the mailbox of a process of this node (from anywhere). */
  public long deliveredLocally() {
    return deliveredLocally.sum();
  }

  /** User messages this node handed to a peer stream. */
  public long sentToPeers() {
    return sentToPeers.sum();
  }

  /** User messages that came in on peer streams. */
  public long receivedFromPeers() {
    return receivedFromPeers.sum();
  }

  public void timeRequestsWith(RequestTimer timer) {
    this.requestTimer = timer;
  }
}
