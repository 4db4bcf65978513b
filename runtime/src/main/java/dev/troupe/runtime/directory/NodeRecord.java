package dev.troupe.runtime.directory;

import java.util.List;

/**
 * A node as the directory knows it.
 *
 * @param name the node's name, e.g. "launcher"
 * @param incarnation changes on every start, so a restarted node is a new peer
 * @param address host:port of its gRPC server
 * @param hosts the process hosts it serves, e.g. ["app:processes"]
 */
public record NodeRecord(String name, long incarnation, String address, List<String> hosts) {
  public NodeRecord {
    hosts = List.copyOf(hosts);
  }

  /** "launcher#1a2b" for logs. */
  public String label() {
    return name + "#" + Long.toHexString(incarnation);
  }
}
