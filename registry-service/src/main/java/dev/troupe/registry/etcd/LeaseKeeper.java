package dev.troupe.registry.etcd;

import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps alive the leases of the nodes whose sessions this replica holds, on one LeaseKeepAlive stream,
 * every third of the lease TTL. The lease is not the liveness rule (a node is lost when Troupe's own
 * heartbeats stop, and its lease is then revoked at once): it is the backstop that removes the nodes
 * of a replica that died with them. A stream that breaks is opened again, on the next member if need
 * be, at the next tick: a TTL holds three ticks, so one lost stream loses no lease.
 */
final class LeaseKeeper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

  private final EtcdClient etcd;
  /** Each lease kept, with the token of the session this replica holds for it. */
  private final Map<Long, byte[]> leases = new ConcurrentHashMap<>();
  private StreamObserver<LeaseKeepAliveRequest> stream;
  private ManagedChannel streamChannel;

  LeaseKeeper(EtcdClient etcd, Duration ttl, ScheduledExecutorService timer) {
    this.etcd = etcd;
    long period = Math.max(200, ttl.toMillis() / 3);
    timer.scheduleAtFixedRate(this::tick, period, period, TimeUnit.MILLISECONDS);
  }

  /** Keeps {@code lease} alive for the session of {@code token}, which this replica now holds. */
  void keep(long lease, byte[] token) {
    leases.put(lease, token.clone());
  }

  /** Stops keeping {@code lease}, whoever's session it was for. */
  void drop(long lease) {
    leases.remove(lease);
  }

  /**
   * Stops keeping {@code lease} if it is kept for the session of {@code token}: a session this replica
   * held has ended (or moved elsewhere); a newer one of the same node here keeps it.
   */
  void dropSession(long lease, byte[] token) {
    leases.computeIfPresent(lease, (id, held) -> Arrays.equals(held, token) ? null : held);
  }

  private synchronized void tick() {
    if (leases.isEmpty()) {
      return;
    }
    try {
      if (stream == null) {
        open();
      }
      for (long id : leases.keySet()) {
        stream.onNext(LeaseKeepAliveRequest.newBuilder().setID(id).build());
      }
    } catch (RuntimeException e) {
      LOG.warn("etcd: keeping {} leases alive failed ({}); retrying at the next tick", leases.size(), e.toString());
      broken(streamChannel);
    }
  }

  private void open() {
    ManagedChannel ch = etcd.channel();
    streamChannel = ch;
    stream = LeaseGrpc.newStub(ch).withInterceptors(EtcdClient.REQUIRE_LEADER).leaseKeepAlive(new StreamObserver<>() {
      @Override
      public void onNext(LeaseKeepAliveResponse r) {
        if (r.getTTL() <= 0 && leases.remove(r.getID()) != null) {
          // Its keys are gone: the watch tells every replica's listeners that its node was lost.
          LOG.warn("etcd: lease {} has ended; its node's keys are gone", Long.toHexString(r.getID()));
        }
      }

      @Override
      public void onError(Throwable t) {
        broken(ch);
      }

      @Override
      public void onCompleted() {
        broken(ch);
      }
    });
  }

  private synchronized void broken(ManagedChannel ch) {
    if (ch != null && ch == streamChannel) {
      etcd.failed(ch);
      if (stream != null) {
        try {
          stream.onError(new IllegalStateException("reopening"));
        } catch (RuntimeException ignored) {
          // already closed
        }
      }
      stream = null;
      streamChannel = null;
    }
  }

  @Override
  public synchronized void close() {
    leases.clear();
    if (stream != null) {
      try {
        stream.onCompleted();
      } catch (RuntimeException ignored) {
        // already closed
      }
      stream = null;
    }
  }
}
