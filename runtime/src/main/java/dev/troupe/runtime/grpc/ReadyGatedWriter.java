package dev.troupe.runtime.grpc;

import io.grpc.stub.CallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Writes to a gRPC stream only while it is ready, from any thread, never blocking: grpc-java's
 * {@code onNext} buffers without bound when readiness is ignored. Two lanes: control items always go
 * out before queued data items. Items are drained in batches of up to {@code maxBatch}, each batch
 * turned into one stream message by {@code toMessage}.
 */
public final class ReadyGatedWriter<I, M> {
  private final CallStreamObserver<M> stream;
  private final Function<List<I>, M> toMessage;
  private final int maxBatch;
  private final Queue<I> control = new ConcurrentLinkedQueue<>();
  private final Queue<I> data = new ConcurrentLinkedQueue<>();
  private final AtomicInteger wip = new AtomicInteger();
  private final AtomicInteger backlog = new AtomicInteger();
  private volatile boolean closed;
  private volatile java.util.function.Consumer<CallStreamObserver<M>> terminal;

  public ReadyGatedWriter(CallStreamObserver<M> stream, Function<List<I>, M> toMessage, int maxBatch) {
    this.stream = stream;
    this.toMessage = toMessage;
    this.maxBatch = maxBatch;
  }

  public void enqueue(I item, boolean isControl) {
    if (closed) {
      return;
    }
    (isControl ? control : data).add(item);
    backlog.incrementAndGet();
    drain();
  }

  public int backlog() {
    return backlog.get();
  }

  /** Stops writing; what is queued is dropped. */
  public void close() {
    closed = true;
    control.clear();
    data.clear();
  }

  /**
   * Ends the stream with {@code end} (onCompleted or onError) once everything queued before is
   * written, on the writing thread: a StreamObserver must never be called from two threads at once.
   */
  public void finish(java.util.function.Consumer<CallStreamObserver<M>> end) {
    terminal = end;
    drain();
  }

  /** Call from the stream's onReady handler too. */
  public void drain() {
    if (wip.getAndIncrement() != 0) {
      return;
    }
    int missed = 1;
    for (;;) {
      while (!closed && stream.isReady()) {
        List<I> batch = new ArrayList<>(Math.min(maxBatch, 16));
        take(control, batch);
        take(data, batch);
        if (batch.isEmpty()) {
          var end = terminal;
          if (end != null && !closed) {
            closed = true;
            try {
              end.accept(stream);
            } catch (RuntimeException ignored) {
              // already cancelled
            }
          }
          break;
        }
        backlog.addAndGet(-batch.size());
        try {
          stream.onNext(toMessage.apply(batch));
        } catch (RuntimeException e) {
          closed = true; // the call is gone; its close handler reports the failure
          break;
        }
      }
      missed = wip.addAndGet(-missed);
      if (missed == 0) {
        return;
      }
    }
  }

  private void take(Queue<I> from, List<I> batch) {
    while (batch.size() < maxBatch) {
      I item = from.poll();
      if (item == null) {
        return;
      }
      batch.add(item);
    }
  }
}
