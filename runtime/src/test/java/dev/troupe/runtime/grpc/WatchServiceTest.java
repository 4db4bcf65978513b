package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.proto.node.v1.ProcessState;
import dev.troupe.proto.node.v1.WatchHostRequest;
import dev.troupe.proto.node.v1.WatchHostResponse;
import dev.troupe.proto.node.v1.WatchProcessRequest;
import dev.troupe.proto.node.v1.WatchProcessResponse;
import dev.troupe.proto.node.v1.WatchServiceGrpc;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.TestCluster;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class WatchServiceTest {
  private final TestCluster cluster = new TestCluster(Entries.catalog());
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    cluster.close();
  }

  private WatchServiceGrpc.WatchServiceBlockingStub stub(String node) {
    ManagedChannel ch = Channels.open(cluster.server(node).address(), ChannelSettings.defaults());
    channels.add(ch);
    return WatchServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** The updates of a watch of {@code host} on {@code node}, as they come. */
  private BlockingQueue<WatchHostResponse> watchHost(String node, String host) {
    ManagedChannel ch = Channels.open(cluster.server(node).address(), ChannelSettings.defaults());
    channels.add(ch);
    BlockingQueue<WatchHostResponse> seen = new LinkedBlockingQueue<>();
    WatchServiceGrpc.newStub(ch).watchHost(WatchHostRequest.newBuilder().setHost(host).build(),
        new StreamObserver<>() {
          @Override
          public void onNext(WatchHostResponse value) {
            seen.add(value);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
    return seen;
  }

  @Test
  void watchingAProcessOnAnotherNodeGivesRunningThenExactlyOneExitThenTheEnd() throws Exception {
    // given a process on n2 that runs until told to stop
    cluster.startNode("n1");
    cluster.startNode("n2");
    AttachedProcess client = cluster.attachRemote("n1");
    String echo = client.spawn("test:echo", "app:n2");

    // when a plain gRPC client watches it through n1, and it is then stopped
    Iterator<WatchProcessResponse> updates = stub("n1").watchProcess(
        WatchProcessRequest.newBuilder().setPid(echo).build());
    assertThat(updates.next().getState()).isEqualTo(ProcessState.PROCESS_STATE_RUNNING);
    client.send(echo, "stop");

    // then one EXIT with the result arrives, and the stream ends
    WatchProcessResponse exit = updates.next();
    assertThat(exit.getExit().getFrom()).isEqualTo(echo);
    assertThat(exit.getExit().getResult().getValue().getValue().getStringValue()).isEqualTo("stopped");
    assertThat(updates.hasNext()).isFalse();
  }

  @Test
  void watchingAPidThatIsGoneGivesAnImmediateNoSuchProcessExit() {
    cluster.startNode("n1");
    Iterator<WatchProcessResponse> updates = stub("n1").watchProcess(
        WatchProcessRequest.newBuilder().setPid("{app:n1|0x00fff}").build());

    WatchProcessResponse only = updates.next();
    assertThat(only.getExit().getResult().getError().getMessage()).isEqualTo("no such process");
    assertThat(updates.hasNext()).isFalse();
  }

  @Test
  void watchingAMalformedPidIsInvalidArgument() {
    cluster.startNode("n1");
    Iterator<WatchProcessResponse> updates = stub("n1").watchProcess(
        WatchProcessRequest.newBuilder().setPid("relay").build());

    try {
      updates.next();
      throw new AssertionError("expected INVALID_ARGUMENT");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }
  }

  @Test
  void watchingAHostShowsEverySpawnAndExitOnIt() throws Exception {
    cluster.startNode("n1");
    AttachedProcess client = cluster.attachRemote("n1");
    BlockingQueue<WatchHostResponse> seen = watchHost("n1", "app:n1");
    // the subscription is registered asynchronously: spawn until the first start is seen
    String pid = null;
    WatchHostResponse first = null;
    for (int i = 0; i < 50 && first == null; i++) {
      pid = client.spawn("test:return", "app:n1", "r" + i);
      WatchHostResponse u = seen.poll(100, TimeUnit.MILLISECONDS);
      while (u != null && !u.hasStarted()) {
        u = seen.poll(100, TimeUnit.MILLISECONDS); // an exit of a process started before we subscribed
      }
      first = u;
    }
    assertThat(first).isNotNull();
    assertThat(first.getStarted().getEntry()).isEqualTo("test:return");
    WatchHostResponse exit = null;
    while (exit == null || !exit.hasExit() || !exit.getExit().getFrom().equals(first.getStarted().getPid())) {
      exit = seen.poll(5, TimeUnit.SECONDS);
      assertThat(exit).isNotNull();
    }
    assertThat(exit.getExit().getResult().hasValue()).isTrue();
    assertThat(pid).isNotNull();
  }

  @Test
  void watchingAHostShowsTheLinkDownAProcessThatTrapsLinksIsGiven() throws Exception {
    // given: a client that traps links, and a watch of its host
    cluster.startNode("n1");
    AttachedProcess client = cluster.attachRemote("n1");
    client.setTrapLinks(true);
    String host = dev.troupe.api.Pid.parse(client.pid()).host();
    BlockingQueue<WatchHostResponse> seen = watchHost("n1", host);

    // when: processes linked to it fail (until the watch, registered asynchronously, sees one)
    WatchHostResponse linkDown = null;
    String child = null;
    for (int i = 0; i < 50 && linkDown == null; i++) {
      child = client.spawnLinked("test:fail", "app:n1", "boom");
      for (WatchHostResponse u = seen.poll(200, TimeUnit.MILLISECONDS); u != null && linkDown == null;
          u = seen.poll(50, TimeUnit.MILLISECONDS)) {
        linkDown = u.hasLinkDown() ? u : null;
      }
    }

    // then: the watch names the process given LINK_DOWN, and the one that failed
    assertThat(linkDown).as("a link_down update").isNotNull();
    assertThat(linkDown.getLinkDown().getPid()).isEqualTo(client.pid());
    assertThat(linkDown.getLinkDown().getEvent().getFrom()).startsWith("{app:n1|");
    assertThat(linkDown.getLinkDown().getEvent().getResult().hasError()).isTrue();
    assertThat(child).isNotNull();
  }

  @Test
  void watchingAHostThisNodeDoesNotServeIsNotFound() {
    cluster.startNode("n1");
    Iterator<WatchHostResponse> updates = stub("n1").watchHost(
        WatchHostRequest.newBuilder().setHost("app:elsewhere").build());
    try {
      updates.next();
      throw new AssertionError("expected NOT_FOUND");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }
  }
}
