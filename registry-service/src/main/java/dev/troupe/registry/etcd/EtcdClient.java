package dev.troupe.registry.etcd;

import com.google.protobuf.ByteString;
import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The calls the registry makes of etcd v3, over etcd's own gRPC API (the stubs of {@code jetcd-grpc}).
 * One channel per endpoint; a call that finds its member down, or without a leader (an election),
 * moves to the next member and tries again until the call timeout. Channels have their own event
 * loop: the registry's server runs on the JVM's shared one and may wait on these calls.
 */
final class EtcdClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdClient.class);
  /** How long one attempt on one member may take before the next member is tried. */
  static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(1500);

  /**
   * Asks etcd to end a stream (watch, lease keep-alive) when its member has no leader, as etcd's own
   * client does ({@code WithRequireLeader}): a member cut off from the quorum would otherwise keep the
   * stream open and silent.
   */
  static final io.grpc.ClientInterceptor REQUIRE_LEADER;

  static {
    io.grpc.Metadata m = new io.grpc.Metadata();
    m.put(io.grpc.Metadata.Key.of("hasleader", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "true");
    REQUIRE_LEADER = io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(m);
  }

  private final List<ManagedChannel> channels;
  private final List<String> endpoints;
  private final Duration callTimeout;
  private volatile int current;

  EtcdClient(List<String> endpoints, Duration callTimeout) {
    if (endpoints.isEmpty()) {
      throw TroupeException.invalid("no etcd endpoint given; pass --etcd-endpoints http://HOST:2379[,...]");
    }
    this.endpoints = List.copyOf(endpoints);
    this.callTimeout = callTimeout;
    List<ManagedChannel> cs = new ArrayList<>();
    for (String e : endpoints) {
      cs.add(NettyChannelBuilder.forTarget(hostPort(e)).usePlaintext()
          .keepAliveTime(10, TimeUnit.SECONDS).keepAliveTimeout(3, TimeUnit.SECONDS).build());
    }
    this.channels = List.copyOf(cs);
  }

  /** "http://10.0.0.1:2379" or "10.0.0.1:2379" as host:port; https is refused (not supported yet). */
  static String hostPort(String endpoint) {
    String e = endpoint.strip();
    if (e.startsWith("https://")) {
      throw TroupeException.invalid("etcd endpoint " + endpoint + ": TLS to etcd is not supported yet; use http://");
    }
    URI u = URI.create(e.contains("://") ? e : "http://" + e);
    if (u.getHost() == null || u.getPort() < 0) {
      throw TroupeException.invalid("etcd endpoint '" + endpoint + "' is not http://HOST:PORT");
    }
    return u.getHost() + ":" + u.getPort();
  }

  /** Endpoints in a comma-separated list. */
  static List<String> parse(String list) {
    List<String> out = new ArrayList<>();
    for (String e : list.split(",")) {
      if (!e.isBlank()) {
        hostPort(e);
        out.add(e.strip());
      }
    }
    return out;
  }

  ManagedChannel channel() {
    return channels.get(current);
  }

  String endpoint() {
    return endpoints.get(current);
  }

  /** The member in use failed: use the next. */
  void failed(ManagedChannel used) {
    if (channels.size() > 1 && channels.get(current) == used) {
      current = (current + 1) % channels.size();
      LOG.info("etcd: moving to {}", endpoint());
    }
  }

  RangeResponse get(ByteString key) {
    return call(ch -> KVGrpc.newBlockingStub(ch).withDeadlineAfter(ATTEMPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .range(RangeRequest.newBuilder().setKey(key).build()));
  }

  /** Every key under {@code prefix}, at one revision (the response header's). */
  RangeResponse getPrefix(ByteString prefix) {
    return call(ch -> KVGrpc.newBlockingStub(ch).withDeadlineAfter(ATTEMPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .range(RangeRequest.newBuilder().setKey(prefix).setRangeEnd(EtcdKeys.rangeEnd(prefix)).build()));
  }

  /**
   * Runs a transaction. A retried one may have been applied by the attempt that timed out: every
   * transaction the store makes compares first, so a second run fails its compare instead of acting
   * twice, and the caller reads what is there.
   */
  TxnResponse txn(TxnRequest txn) {
    return call(ch -> KVGrpc.newBlockingStub(ch).withDeadlineAfter(ATTEMPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .txn(txn));
  }

  long grant(Duration ttl) {
    return call(ch -> LeaseGrpc.newBlockingStub(ch).withDeadlineAfter(ATTEMPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(Math.max(1, ttl.toSeconds())).build())).getID();
  }

  /** Ends {@code lease}: its keys are deleted in one revision (returned); 0 if it had ended already. */
  long revoke(long lease) {
    try {
      return call(ch -> LeaseGrpc.newBlockingStub(ch).withDeadlineAfter(ATTEMPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .leaseRevoke(LeaseRevokeRequest.newBuilder().setID(lease).build())).getHeader().getRevision();
    } catch (TroupeException e) {
      if (e.code() == ErrorCode.NOT_FOUND) {
        return 0;
      }
      throw e;
    }
  }

  /** Revokes {@code lease} on a path that is failing already: a failure is logged, not thrown. */
  void revokeQuietly(long lease) {
    try {
      revoke(lease);
    } catch (TroupeException e) {
      LOG.warn("etcd: could not revoke lease {} ({}); it ends with its TTL", Long.toHexString(lease), e.getMessage());
    }
  }

  /**
   * Runs {@code rpc} on the member in use, moving to the next on UNAVAILABLE or a deadline, until the
   * call timeout. Fails with UNAVAILABLE (etcd cannot be reached) or the code etcd answered.
   */
  <T> T call(Function<ManagedChannel, T> rpc) {
    long deadline = System.nanoTime() + callTimeout.toNanos();
    StatusRuntimeException last = null;
    long backoffMs = 20;
    while (true) {
      ManagedChannel ch = channel();
      try {
        return rpc.apply(ch);
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
          throw translate(e);
        }
        last = e;
        failed(ch);
      }
      if (System.nanoTime() + backoffMs * 1_000_000 > deadline) {
        throw new TroupeException(ErrorCode.UNAVAILABLE, "etcd did not answer within " + callTimeout.toMillis()
            + " ms at " + endpoints + " (" + last.getStatus().getCode() + ": " + last.getStatus().getDescription()
            + "); is the cluster up and does it have a leader?");
      }
      sleepQuietly(backoffMs);
      backoffMs = Math.min(250, backoffMs * 2);
    }
  }

  private static TroupeException translate(StatusRuntimeException e) {
    String what = "etcd: " + e.getStatus().getCode() + " " + e.getStatus().getDescription();
    return switch (e.getStatus().getCode()) {
      case NOT_FOUND -> new TroupeException(ErrorCode.NOT_FOUND, what);
      case INVALID_ARGUMENT, OUT_OF_RANGE -> new TroupeException(ErrorCode.INVALID_ARGUMENT, what);
      case RESOURCE_EXHAUSTED -> new TroupeException(ErrorCode.RESOURCE_EXHAUSTED, what
          + " (etcd's space quota is full: compact and defragment it, or raise --quota-backend-bytes)");
      default -> new TroupeException(ErrorCode.UNAVAILABLE, what);
    };
  }

  static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms); // a retry's backoff, not a wait for a condition
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TroupeException(ErrorCode.CANCELLED, "interrupted while waiting for etcd");
    }
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
  }
}
