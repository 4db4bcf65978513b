package dev.troupe.runtime.testing;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The receiving side of a raw gRPC stream in a test: hands each message to {@code onMessage} and
 * completes {@link #end} with the status the stream ended with (OK when completed).
 */
public final class StreamEnd<T> implements StreamObserver<T> {
  public final CompletableFuture<Status> end = new CompletableFuture<>();
  /** The trailers the stream ended with, if it ended with an error that carried them. */
  public volatile io.grpc.Metadata trailers;
  private final Consumer<T> onMessage;

  public StreamEnd(Consumer<T> onMessage) {
    this.onMessage = onMessage;
  }

  /** Ignores the messages: only the end counts. */
  public StreamEnd() {
    this(m -> {});
  }

  @Override
  public void onNext(T value) {
    onMessage.accept(value);
  }

  @Override
  public void onError(Throwable t) {
    trailers = Status.trailersFromThrowable(t);
    end.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    end.complete(Status.OK);
  }
}
