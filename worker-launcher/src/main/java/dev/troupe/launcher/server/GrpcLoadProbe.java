package dev.troupe.launcher.server;

import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.client.Futures;
import dev.troupe.launcher.core.LoadProbe;
import dev.troupe.proto.node.v1.DrainRequest;
import dev.troupe.proto.node.v1.GetLoadRequest;
import dev.troupe.proto.node.v1.NodeAdminServiceGrpc;
import dev.troupe.runtime.registry.NodeRecord;
import io.grpc.ManagedChannel;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The pool's question to a worker JVM, over gRPC: one channel per JVM, closed when it is gone. */
public final class GrpcLoadProbe implements LoadProbe, AutoCloseable {
  /** Deadline of one question; a JVM too busy to answer in it is asked again at the next poll. */
  static final long CALL_TIMEOUT_MS = 2_000;

  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  @Override
  public CompletableFuture<Load> load(NodeRecord member) {
    return Futures.of(stub(member).getLoad(GetLoadRequest.getDefaultInstance()))
        .thenApply(r -> new Load(r.getProcesses(), r.getStartedTotal(), r.getHeapFull()));
  }

  @Override
  public CompletableFuture<Void> drain(NodeRecord member) {
    return Futures.of(stub(member).drain(DrainRequest.getDefaultInstance())).thenApply(r -> null);
  }

  private NodeAdminServiceGrpc.NodeAdminServiceFutureStub stub(NodeRecord member) {
    ManagedChannel ch = channels.computeIfAbsent(member.label(),
        k -> Channels.open(member.address(), ChannelSettings.defaults()));
    return NodeAdminServiceGrpc.newFutureStub(ch).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void forget(NodeRecord member) {
    ManagedChannel ch = channels.remove(member.label());
    if (ch != null) {
      ch.shutdownNow(); // never waits: the pool's callers must not stall on a dead JVM
    }
  }

  @Override
  public void close() {
    channels.values().forEach(Channels::close);
    channels.clear();
  }
}
