package dev.troupe.runtime.grpc;

import dev.troupe.proto.node.v1.DrainRequest;
import dev.troupe.proto.node.v1.DrainResponse;
import dev.troupe.proto.node.v1.GetLoadRequest;
import dev.troupe.proto.node.v1.GetLoadResponse;
import dev.troupe.proto.node.v1.HostInfo;
import dev.troupe.proto.node.v1.ListProcessesRequest;
import dev.troupe.proto.node.v1.ListProcessesResponse;
import dev.troupe.proto.node.v1.NodeAdminServiceGrpc;
import dev.troupe.proto.node.v1.ProcessInfo;
import dev.troupe.runtime.node.LocalProcess;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.ProcessHost;
import io.grpc.stub.StreamObserver;
import java.util.Comparator;

/** The gRPC adapter of a node's operator listing. */
public final class AdminGrpcService extends NodeAdminServiceGrpc.NodeAdminServiceImplBase {
  private final Node node;

  public AdminGrpcService(Node node) {
    this.node = node;
  }

  @Override
  public void listProcesses(ListProcessesRequest request, StreamObserver<ListProcessesResponse> out) {
    ListProcessesResponse.Builder b = ListProcessesResponse.newBuilder()
        .setNode(node.config().name()).setIncarnation(node.incarnation()).setStartedAtUnixMs(node.startedAtMs());
    node.processes().stream().filter(LocalProcess::alive)
        .sorted(Comparator.comparingLong(p -> p.pid().id()))
        .forEach(p -> {
          LocalProcess.Relations r = p.relations();
          b.addProcesses(ProcessInfo.newBuilder().setPid(p.pidText()).setEntry(p.entry())
              .setLabel(p.label() == null ? "" : p.label()).setTrapLinks(p.trapLinks())
              .setStartedAtUnixMs(p.startedAtMs()).setMailbox(Math.max(0, p.sink().backlog()))
              .addAllMonitoredBy(r.monitoredBy().stream().map(Object::toString).toList())
              .addAllMonitoring(r.monitoring().stream().map(Object::toString).toList())
              .addAllLinks(r.links().stream().map(Object::toString).toList())
              .addAllNames(r.names()));
        });
    for (ProcessHost h : node.hosts()) {
      b.addHosts(HostInfo.newBuilder().setHost(h.name()).putAllStats(h.stats()));
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public void getLoad(GetLoadRequest request, StreamObserver<GetLoadResponse> out) {
    out.onNext(GetLoadResponse.newBuilder().setNode(node.config().name()).setIncarnation(node.incarnation())
        .setProcesses(node.processCount()).setStartedTotal(node.startedTotal()).setHeapFull(node.heapFull()).build());
    out.onCompleted();
  }

  @Override
  public void drain(DrainRequest request, StreamObserver<DrainResponse> out) {
    node.drain();
    out.onNext(DrainResponse.newBuilder().setProcesses(node.processCount()).build());
    out.onCompleted();
  }
}
