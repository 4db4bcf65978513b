package dev.troupe.runtime.node;

import dev.troupe.client.wire.Arrival;
import dev.troupe.proto.common.v1.Payload;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The messages one batch of a stream routes to a process of this node, handed to its sink together:
 * consecutive messages for one target are taken into its mailbox under one hold of its lock and with
 * one wake-up of its receiver, where a message at a time contended with the receiver for every one.
 * The mailbox bound is checked as if each were delivered at once (what the run holds counts).
 *
 * <p>Whoever reads the batch flushes the run when the target changes, before anything else the batch
 * asks for (so nothing of it overtakes an earlier message), before a send that must wait (a name
 * lookup), and when the batch ends. One per stream, used by the thread that reads it; not thread-safe.
 */
final class DeliveryRun {
  private static final Logger LOG = LoggerFactory.getLogger(DeliveryRun.class);

  private final ArrayList<Arrival> pending = new ArrayList<>();
  private FrameSink sink;
  /** How many more messages the current sink's mailbox takes, from its backlog when the run began. */
  private int room;

  /**
   * Holds a message for {@code target}, flushing what the run held for another one first.
   *
   * @return false, holding nothing, when the target's mailbox is full
   */
  boolean add(FrameSink target, int maxMailbox, String from, String topic, List<Payload> payloads) {
    if (target != sink) {
      flush();
      sink = target;
      room = maxMailbox - target.backlog();
    }
    if (pending.size() >= room) {
      return false;
    }
    pending.add(new Arrival(from, topic, payloads));
    return true;
  }

  /** Hands what is held to its target. */
  void flush() {
    FrameSink s = sink;
    sink = null;
    if (pending.isEmpty()) {
      return;
    }
    try {
      s.deliverAll(pending);
    } catch (RuntimeException e) {
      // As a single delivery's failure: the target's sink is gone; the stream that routed them goes on.
      LOG.debug("dropped {} messages for a process whose sink failed: {}", pending.size(), e.toString());
    } finally {
      pending.clear();
    }
  }
}
