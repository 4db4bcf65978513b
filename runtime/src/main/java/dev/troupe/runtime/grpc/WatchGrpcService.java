package dev.troupe.runtime.grpc;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.client.ReadyGatedWriter;
import dev.troupe.client.wire.Frames;
import dev.troupe.client.wire.GrpcErrors;
import dev.troupe.client.wire.PayloadCodec;
import dev.troupe.proto.common.v1.EventKind;
import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.node.v1.ProcessStarted;
import dev.troupe.proto.node.v1.ProcessState;
import dev.troupe.proto.node.v1.WatchHostRequest;
import dev.troupe.proto.node.v1.WatchHostResponse;
import dev.troupe.proto.node.v1.WatchProcessRequest;
import dev.troupe.proto.node.v1.WatchProcessResponse;
import dev.troupe.proto.node.v1.WatchServiceGrpc;
import dev.troupe.runtime.node.LocalProcess;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.ProcessObserver;
import dev.troupe.runtime.process.LocalAttach;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * Watch subscriptions. A process watch is a monitor held by a hidden control process on this node
 * (as the original's watchers are {@code node:control} PIDs), so it works for PIDs on any node and
 * yields exactly one EXIT.
 */
public final class WatchGrpcService extends WatchServiceGrpc.WatchServiceImplBase {
  private final Node node;

  public WatchGrpcService(Node node) {
    this.node = node;
  }

  @Override
  public void watchProcess(WatchProcessRequest request, StreamObserver<WatchProcessResponse> out) {
    try {
      Pid.parse(request.getPid());
    } catch (IllegalArgumentException e) {
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    ServerCallStreamObserver<WatchProcessResponse> call = (ServerCallStreamObserver<WatchProcessResponse>) out;
    AttachedProcess watcher = LocalAttach.attach(node, "", "watch " + request.getPid());
    call.setOnCancelHandler(watcher::close);
    Thread.ofVirtual().name("watch " + request.getPid()).start(() -> {
      try {
        watcher.monitor(request.getPid());
      } catch (TroupeException e) {
        if (e.code() == ErrorCode.NOT_FOUND) {
          send(call, WatchProcessResponse.newBuilder().setExit(Frames.event(EventKind.EVENT_KIND_EXIT,
              request.getPid(), Frames.error(dev.troupe.proto.common.v1.ErrorKind.ERROR_KIND_UNSPECIFIED,
                  "no such process"))).build());
          complete(call);
        } else {
          fail(call, GrpcErrors.toStatusException(e));
        }
        watcher.close();
        return;
      }
      send(call, WatchProcessResponse.newBuilder().setState(ProcessState.PROCESS_STATE_RUNNING).build());
      try {
        while (true) {
          Event e = watcher.events().receive().value();
          if (e == null) {
            return;
          }
          if (e.kind() == Event.Kind.EXIT && e.from().equals(request.getPid())) {
            send(call, WatchProcessResponse.newBuilder().setExit(toProto(e)).build());
            complete(call);
            return;
          }
        }
      } catch (InterruptedException ie) {
        // cancelled
      } finally {
        watcher.close();
      }
    });
  }

  private static dev.troupe.proto.common.v1.ProcessEvent toProto(Event e) {
    ExitResult.Builder r = ExitResult.newBuilder();
    if (e.result().isError()) {
      r.setError(dev.troupe.proto.common.v1.ProcessError.newBuilder().setMessage(e.result().error())
          .setKind(kind(e.result().errorKind())));
    } else {
      r.setValue(PayloadCodec.encode(e.result().value()));
    }
    return Frames.event(EventKind.EVENT_KIND_EXIT, e.from(), r.build()).toBuilder()
        .setAtUnixMs(e.atUnixMs()).build();
  }

  private static dev.troupe.proto.common.v1.ErrorKind kind(String name) {
    try {
      return dev.troupe.proto.common.v1.ErrorKind.valueOf("ERROR_KIND_" + name);
    } catch (RuntimeException ex) {
      return dev.troupe.proto.common.v1.ErrorKind.ERROR_KIND_UNSPECIFIED;
    }
  }

  @Override
  public void watchHost(WatchHostRequest request, StreamObserver<WatchHostResponse> out) {
    if (node.host(request.getHost()).isEmpty()) {
      out.onError(Status.NOT_FOUND.withDescription("node " + node.config().name() + " does not serve host "
          + request.getHost()).asRuntimeException());
      return;
    }
    ServerCallStreamObserver<WatchHostResponse> call = (ServerCallStreamObserver<WatchHostResponse>) out;
    ReadyGatedWriter<WatchHostResponse, WatchHostResponse> writer =
        ReadyGatedWriter.single(call);
    call.setOnReadyHandler(writer::drain);
    if (node.host(request.getHost()).get().isFront()) {
      watchMembers(request, call, writer);
      return;
    }
    ProcessObserver observer = new ProcessObserver() {
      @Override
      public void started(LocalProcess p) {
        if (p.pid().host().equals(request.getHost())) {
          writer.enqueue(WatchHostResponse.newBuilder().setStarted(ProcessStarted.newBuilder()
              .setPid(p.pidText()).setEntry(p.entry()).setAtUnixMs(System.currentTimeMillis())).build(), false);
        }
      }

      @Override
      public void exited(LocalProcess p, ExitResult result) {
        if (p.pid().host().equals(request.getHost())) {
          writer.enqueue(WatchHostResponse.newBuilder()
              .setExit(Frames.event(EventKind.EVENT_KIND_EXIT, p.pidText(), result)).build(), false);
        }
      }

      @Override
      public void eventGiven(LocalProcess p, dev.troupe.proto.common.v1.ProcessEvent event) {
        if (event.getKind() == EventKind.EVENT_KIND_LINK_DOWN && p.pid().host().equals(request.getHost())) {
          writer.enqueue(WatchHostResponse.newBuilder().setLinkDown(
              dev.troupe.proto.node.v1.LinkDownGiven.newBuilder().setPid(p.pidText()).setEvent(event)).build(), false);
        }
      }
    };
    node.addObserver(observer);
    call.setOnCancelHandler(() -> {
      node.removeObserver(observer);
      writer.close();
    });
  }

  /**
   * A host this node only fronts (a launcher's): its processes run on the host's members (the worker
   * JVMs), so the watch is theirs, merged, including members that join while it lasts.
   */
  private void watchMembers(WatchHostRequest request, ServerCallStreamObserver<WatchHostResponse> call,
      ReadyGatedWriter<WatchHostResponse, WatchHostResponse> writer) {
    java.util.Map<String, io.grpc.ManagedChannel> channels = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.function.Consumer<dev.troupe.runtime.registry.NodeRecord> follow = member -> {
      if (member.shard() == null || !member.shard().host().equals(request.getHost()) || call.isCancelled()) {
        return;
      }
      io.grpc.ManagedChannel ch = Channels.open(member.address(), ChannelSettings.defaults());
      if (channels.putIfAbsent(member.label(), ch) != null) {
        ch.shutdownNow();
        return;
      }
      io.grpc.Context.ROOT.run(() -> WatchServiceGrpc.newStub(ch).watchHost(request, new StreamObserver<>() {
        @Override
        public void onNext(WatchHostResponse r) {
          writer.enqueue(r, false);
        }

        // Never Channels.close here: it waits for termination, and this runs on the transport's thread,
        // which every other stream of this JVM shares (a 2 s stall delayed a launcher's crash report).
        @Override
        public void onError(Throwable t) {
          ch.shutdownNow(); // the member is gone: its processes' ends reach their monitors as EXITs
        }

        @Override
        public void onCompleted() {
          ch.shutdownNow();
        }
      }));
    };
    Runnable unfollow = node.onPeerUp(follow);
    call.setOnCancelHandler(() -> {
      unfollow.run();
      channels.values().forEach(io.grpc.ManagedChannel::shutdownNow);
      writer.close();
    });
    node.directory().nodes().forEach(follow);
  }

  private static synchronized <T> void send(ServerCallStreamObserver<T> call, T msg) {
    if (!call.isCancelled()) {
      call.onNext(msg);
    }
  }

  private static <T> void complete(ServerCallStreamObserver<T> call) {
    if (!call.isCancelled()) {
      call.onCompleted();
    }
  }

  private static <T> void fail(ServerCallStreamObserver<T> call, Status s) {
    fail(call, s.asRuntimeException());
  }

  private static <T> void fail(ServerCallStreamObserver<T> call, StatusRuntimeException e) {
    if (!call.isCancelled()) {
      call.onError(e);
    }
  }
}
