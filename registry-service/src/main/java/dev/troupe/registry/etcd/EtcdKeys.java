package dev.troupe.registry.etcd;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;

/**
 * Where the registry keeps the directory in etcd, under one prefix (default {@code /troupe/}), so that
 * {@code etcdctl get --prefix /troupe/} shows it all:
 * <ul>
 *   <li>{@code nodes/NAME}: a live node (JSON: its record, its session token, its lease), on its lease;
 *   <li>{@code hosts/HOST}: the name of the live node that alone serves HOST, on that node's lease;
 *   <li>{@code names/NAME}: the PID holding a cluster-wide name, on its node's lease, so the names of
 *       a node vanish in the same revision as the node;
 *   <li>{@code ended/NAME#INCARNATION}: why that life ended; it may not come back (on a long lease);
 *   <li>{@code ids/HOST}: the next process id of HOST (16 hex digits, so that etcd's byte order is
 *       numeric order), so a later life starts above every id an earlier one gave out.
 * </ul>
 */
final class EtcdKeys {
  static final String DEFAULT_PREFIX = "/troupe/";

  final String prefix;

  EtcdKeys(String prefix) {
    this.prefix = prefix.endsWith("/") ? prefix : prefix + "/";
  }

  ByteString all() {
    return utf8(prefix);
  }

  ByteString node(String name) {
    return utf8(prefix + "nodes/" + name);
  }

  ByteString host(String host) {
    return utf8(prefix + "hosts/" + host);
  }

  ByteString name(String name) {
    return utf8(prefix + "names/" + name);
  }

  ByteString ended(String label) {
    return utf8(prefix + "ended/" + label);
  }

  ByteString ids(String host) {
    return utf8(prefix + "ids/" + host);
  }

  /** What a key under the prefix is: its kind ("nodes", "names", ...) and the rest. */
  record Parsed(String kind, String id) {}

  Parsed parse(ByteString key) {
    String k = key.toStringUtf8();
    if (!k.startsWith(prefix)) {
      return new Parsed("", k);
    }
    String rest = k.substring(prefix.length());
    int slash = rest.indexOf('/');
    return slash < 0 ? new Parsed("", rest) : new Parsed(rest.substring(0, slash), rest.substring(slash + 1));
  }

  static ByteString idValue(long nextId) {
    return utf8(String.format("%016x", nextId));
  }

  static long parseId(ByteString value) {
    return Long.parseUnsignedLong(value.toStringUtf8(), 16);
  }

  /** The end of the range of keys that start with {@code prefix} (etcd's prefix range). */
  static ByteString rangeEnd(ByteString prefix) {
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return ByteString.copyFrom(end, 0, i + 1);
      }
    }
    return ByteString.copyFrom(new byte[] {0});
  }

  static ByteString utf8(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }
}
