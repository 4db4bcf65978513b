package dev.troupe.runtime.node;

import dev.troupe.client.wire.Arrival;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.node.v1.AttachResponse;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Holds a process's frames until the thing that will run it exists (a worker JVM still starting),
 * then forwards them in order. This is why a message sent right after spawn is never lost.
 */
public final class BufferingSink implements FrameSink {
  private final ArrayDeque<AttachResponse> held = new ArrayDeque<>(2); // one per spawn: kept small
  private FrameSink target;

  @Override
  public void push(AttachResponse frame) {
    FrameSink t;
    synchronized (this) {
      if (target == null) {
        held.add(frame);
        return;
      }
      t = target;
    }
    t.push(frame);
  }

  @Override
  public void deliver(String from, String topic, List<Payload> payloads) {
    FrameSink t;
    synchronized (this) {
      t = target;
    }
    if (t == null) {
      FrameSink.super.deliver(from, topic, payloads); // held as a frame, in order with the rest
    } else {
      t.deliver(from, topic, payloads);
    }
  }

  @Override
  public void deliverAll(List<Arrival> arrivals) {
    FrameSink t;
    synchronized (this) {
      t = target;
    }
    if (t == null) {
      FrameSink.super.deliverAll(arrivals); // held as frames, in order with the rest
    } else {
      t.deliverAll(arrivals);
    }
  }

  /** Forwards what was held, then everything after, to {@code target}. */
  public void connect(FrameSink newTarget) {
    synchronized (this) {
      while (!held.isEmpty()) {
        newTarget.push(held.poll());
      }
      target = newTarget;
    }
  }

  @Override
  public synchronized int backlog() {
    return target == null ? held.size() : target.backlog();
  }
}
