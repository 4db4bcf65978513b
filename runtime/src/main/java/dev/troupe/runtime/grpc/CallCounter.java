package dev.troupe.runtime.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the calls a node's server takes, by method, and how they ended, by method and status code:
 * the node's gRPC figures for its metrics. Per call, never per message (an attach stream is one call).
 * Outermost of the server's interceptors, so that calls refused for their secret are counted too.
 */
final class CallCounter implements ServerInterceptor {
  private final Map<String, LongAdder> started = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> ended = new ConcurrentHashMap<>();

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    started.computeIfAbsent(method, m -> new LongAdder()).increment();
    return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        ended.computeIfAbsent(method + " " + status.getCode(), k -> new LongAdder()).increment();
        super.close(status, trailers);
      }
    }, headers);
  }

  /** Calls started, by full method name. */
  Map<String, Long> started() {
    return sums(started);
  }

  /** Calls ended, by "full method name" + " " + status code. */
  Map<String, Long> ended() {
    return sums(ended);
  }

  private static Map<String, Long> sums(Map<String, LongAdder> counts) {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
