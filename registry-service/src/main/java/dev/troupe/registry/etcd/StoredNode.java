package dev.troupe.registry.etcd;

import com.google.gson.Gson;
import com.google.protobuf.ByteString;
import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.registry.Shard;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * A live node as etcd holds it: its record, the token of its current session and the lease its keys
 * are on. JSON, so that an operator can read it with etcdctl.
 *
 * @param modRevision the revision that wrote it (not stored: read from etcd), for compare-and-swap
 */
record StoredNode(NodeRecord record, byte[] token, long lease, long modRevision) {
  private static final Gson GSON = new Gson();

  /** The JSON form. */
  private record Json(String name, String incarnation, String address, List<String> hosts, JsonShard shard,
      String token, String lease) {}

  private record JsonShard(String host, String firstId, String endId, String owner, boolean dedicated) {}

  ByteString toValue() {
    NodeRecord r = record;
    Shard s = r.shard();
    Json j = new Json(r.name(), Long.toHexString(r.incarnation()), r.address(), r.hosts(),
        s == null ? null : new JsonShard(s.host(), Long.toString(s.firstId()), Long.toString(s.endId()), s.owner(),
            s.dedicated()),
        Base64.getEncoder().encodeToString(token), Long.toHexString(lease));
    return ByteString.copyFrom(GSON.toJson(j), StandardCharsets.UTF_8);
  }

  static StoredNode fromValue(ByteString value, long modRevision) {
    try {
      Json j = GSON.fromJson(value.toStringUtf8(), Json.class);
      Shard shard = j.shard() == null ? null : new Shard(j.shard().host(), Long.parseLong(j.shard().firstId()),
          Long.parseLong(j.shard().endId()), j.shard().owner(), j.shard().dedicated());
      NodeRecord r = new NodeRecord(j.name(), Long.parseUnsignedLong(j.incarnation(), 16), j.address(),
          j.hosts() == null ? List.of() : j.hosts(), shard);
      return new StoredNode(r, Base64.getDecoder().decode(j.token()), Long.parseUnsignedLong(j.lease(), 16),
          modRevision);
    } catch (RuntimeException e) { // malformed JSON, a missing field, a bad number
      throw new IllegalArgumentException("not a Troupe node record: " + value.toStringUtf8(), e);
    }
  }

  StoredNode withToken(byte[] newToken) {
    return new StoredNode(record, newToken, lease, modRevision);
  }
}
