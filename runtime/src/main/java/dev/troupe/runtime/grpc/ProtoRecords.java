package dev.troupe.runtime.grpc;

import dev.troupe.runtime.directory.NodeRecord;

/** Domain records to wire messages and back. */
public final class ProtoRecords {
  private ProtoRecords() {}

  public static dev.troupe.proto.registry.v1.NodeRecord toProto(NodeRecord n) {
    return dev.troupe.proto.registry.v1.NodeRecord.newBuilder()
        .setNode(n.name()).setIncarnation(n.incarnation()).setAddress(n.address())
        .addAllHosts(n.hosts()).build();
  }

  public static NodeRecord fromProto(dev.troupe.proto.registry.v1.NodeRecord n) {
    return new NodeRecord(n.getNode(), n.getIncarnation(), n.getAddress(), n.getHostsList());
  }
}
