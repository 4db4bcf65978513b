package dev.troupe.runtime.node;

import dev.troupe.client.wire.Frames;
import dev.troupe.proto.common.v1.ErrorKind;
import dev.troupe.proto.common.v1.EventKind;
import dev.troupe.proto.common.v1.ProcessEvent;
import java.util.Map;
import java.util.TreeMap;
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
  /**
   * Events given to local processes, by event kind and then by outcome: 0 none (CANCEL), 1 normal,
   * 2 + the error kind's ordinal. Every adder exists from the start: counting an EXIT (one per echo in
   * the tutorial) allocates nothing.
   */
  private final LongAdder[][] events = new LongAdder[EventKind.values().length][2 + ErrorKind.values().length];
  volatile RequestTimer requestTimer = RequestTimer.NONE;

  NodeCounters() {
    for (LongAdder[] row : events) {
      for (int i = 0; i < row.length; i++) {
        row[i] = new LongAdder();
      }
    }
  }

  void eventGiven(ProcessEvent e) {
    int outcome = !e.hasResult() ? 0 : e.getResult().hasError() ? 2 + e.getResult().getError().getKind().ordinal() : 1;
    events[e.getKind().ordinal()][outcome].increment();
  }

  /** EXIT, LINK_DOWN and CANCEL given to this node's processes, by "event/kind" (kind: normal, crashed, ...). */
  public Map<String, Long> eventsGiven() {
    Map<String, Long> out = new TreeMap<>();
    EventKind[] kinds = EventKind.values();
    ErrorKind[] errors = ErrorKind.values();
    for (int k = 0; k < events.length; k++) {
      for (int o = 0; o < events[k].length; o++) {
        long n = events[k][o].sum();
        if (n > 0 && kinds[k] != EventKind.UNRECOGNIZED) {
          String outcome = o == 0 ? "none" : o == 1 ? "normal"
              : errors[o - 2] == ErrorKind.UNRECOGNIZED ? "unrecognized" : Frames.name(errors[o - 2]);
          out.put(Frames.name(kinds[k]) + "/" + outcome, n);
        }
      }
    }
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
