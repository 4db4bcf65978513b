package dev.troupe.registry.etcd;

import java.time.Duration;
import java.util.List;

/**
 * How the registry uses etcd.
 *
 * @param endpoints the cluster's client URLs ({@code http://HOST:2379}); calls move to the next when one fails
 * @param prefix where the directory's keys live ({@link EtcdKeys}); one prefix per topology
 * @param leaseTtl the TTL of a node's lease: the backstop that removes the nodes of a registry replica
 *     that died with them (a live replica revokes a lost node's lease at once). Long, because etcd may
 *     let a short lease lapse across a leader election
 * @param endedTtl how long an ended incarnation is remembered (refused if it comes back)
 * @param callTimeout how long one call may try etcd's members before it fails UNAVAILABLE
 */
public record EtcdSettings(List<String> endpoints, String prefix, Duration leaseTtl, Duration endedTtl,
    Duration callTimeout) {
  public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_ENDED_TTL = Duration.ofHours(1);
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(5);

  public EtcdSettings {
    endpoints = List.copyOf(endpoints);
    if (leaseTtl.toSeconds() < 2) {
      throw new IllegalArgumentException("the etcd lease TTL must be at least 2 s (etcd counts whole seconds); got "
          + leaseTtl.toMillis() + " ms");
    }
  }

  /** Settings with the defaults, for {@code endpoints} given as a comma-separated list. */
  public static EtcdSettings of(String endpoints) {
    return new EtcdSettings(EtcdClient.parse(endpoints), EtcdKeys.DEFAULT_PREFIX, DEFAULT_LEASE_TTL,
        DEFAULT_ENDED_TTL, DEFAULT_CALL_TIMEOUT);
  }

  public EtcdSettings withPrefix(String p) {
    return new EtcdSettings(endpoints, p, leaseTtl, endedTtl, callTimeout);
  }

  public EtcdSettings withLeaseTtl(Duration ttl) {
    return new EtcdSettings(endpoints, prefix, ttl, endedTtl, callTimeout);
  }
}
