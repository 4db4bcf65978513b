package dev.troupe.runtime.registry;

import dev.troupe.api.Pid;
import java.util.List;

/**
 * A node as the directory knows it.
 *
 * @param name the node's name, e.g. "launcher"
 * @param incarnation changes on every start, so a restarted node is a new peer
 * @param address host:port of its gRPC server
 * @param hosts the process hosts it alone serves, e.g. ["app:processes"]
 * @param shard for a member of a shared host (a launcher's worker JVM), its range of that host's
 *     ids; null on every other node
 */
public record NodeRecord(String name, long incarnation, String address, List<String> hosts, Shard shard) {
  public NodeRecord {
    hosts = List.copyOf(hosts);
  }

  public NodeRecord(String name, long incarnation, String address, List<String> hosts) {
    this(name, incarnation, address, hosts, null);
  }

  /** "launcher#1a2b" for logs. */
  public String label() {
    return name + "#" + Long.toHexString(incarnation);
  }

  /** Whether the process {@code pid} lives (or lived) on this node. */
  public boolean serves(Pid pid) {
    if (shard != null && pid.host().equals(shard.host())) {
      return shard.contains(pid);
    }
    return hosts.contains(pid.host()) && (pid.node().isEmpty() || pid.node().equals(name));
  }

  /** Whether a spawner may place a process of {@code host} here (a shared member, not dedicated). */
  public boolean sharesHost(String host) {
    return shard != null && !shard.dedicated() && shard.host().equals(host);
  }

  /** This record with its shard's range starting at {@code firstId} (as the registry assigned it). */
  public NodeRecord withShardFrom(long firstId) {
    return shard == null || shard.assigned() ? this
        : new NodeRecord(name, incarnation, address, hosts, shard.assigned(firstId));
  }
}
