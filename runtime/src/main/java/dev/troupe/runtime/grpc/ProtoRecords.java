package dev.troupe.runtime.grpc;

import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.registry.Shard;

/** Domain records to wire messages and back. */
public final class ProtoRecords {
  private ProtoRecords() {}

  public static dev.troupe.proto.registry.v1.NodeRecord toProto(NodeRecord n) {
    var b = dev.troupe.proto.registry.v1.NodeRecord.newBuilder()
        .setNode(n.name()).setIncarnation(n.incarnation()).setAddress(n.address())
        .addAllHosts(n.hosts());
    Shard s = n.shard();
    if (s != null) {
      b.setShard(dev.troupe.proto.registry.v1.Shard.newBuilder().setHost(s.host()).setFirstId(s.firstId())
          .setEndId(s.endId()).setOwner(s.owner()).setDedicated(s.dedicated()));
    }
    return b.build();
  }

  /** @throws IllegalArgumentException for a shard without a host or with a bad range */
  public static NodeRecord fromProto(dev.troupe.proto.registry.v1.NodeRecord n) {
    Shard shard = null;
    if (n.hasShard()) {
      var s = n.getShard();
      shard = new Shard(s.getHost(), s.getFirstId(), s.getFirstId() == 0 ? 0 : s.getEndId(), s.getOwner(),
          s.getDedicated());
    }
    return new NodeRecord(n.getNode(), n.getIncarnation(), n.getAddress(), n.getHostsList(), shard);
  }
}
