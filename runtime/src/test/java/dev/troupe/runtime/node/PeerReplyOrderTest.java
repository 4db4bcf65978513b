package dev.troupe.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.Event;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.wire.Frames;
import dev.troupe.client.wire.PayloadCodec;
import dev.troupe.proto.common.v1.ErrorKind;
import dev.troupe.proto.common.v1.EventKind;
import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.PeerEvent;
import dev.troupe.proto.peer.v1.PeerReply;
import dev.troupe.runtime.process.LocalAttach;
import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.NodeRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A peer's reply and the EXIT / LINK_DOWN right behind it on the same stream may both be handled
 * before the requesting thread runs again (a busy machine). The relation the reply confirms must
 * already count for that event. The fake peer here answers inside {@code send}: the worst case.
 */
@Timeout(30)
class PeerReplyOrderTest {
  private static final String CHILD = "{app:n2|0x00005}";
  private static final NodeRecord N2 = new NodeRecord("n2", 2, "127.0.0.1:1", List.of("app:n2"));
  private final InMemoryDirectory directory = new InMemoryDirectory();
  private Node node;
  private AttachedProcess client;

  /** Answers every request at once, then reports the target's end. */
  private final PeerTransport instantPeer = new PeerTransport() {
    @Override
    public void send(NodeRecord peer, Envelope e, boolean control) {
      switch (e.getKindCase()) {
        case SPAWN -> answerThenEnd(e.getSpawn().getRequestId(), e.getSpawn().getParent(),
            EventKind.EVENT_KIND_EXIT, ExitResult.newBuilder().setValue(PayloadCodec.encode("quick")).build());
        case MONITOR -> answerThenEnd(e.getMonitor().getRequestId(), e.getMonitor().getWatcher(),
            EventKind.EVENT_KIND_EXIT, ExitResult.newBuilder().setValue(PayloadCodec.encode("quick")).build());
        case LINK -> answerThenEnd(e.getLink().getRequestId(), e.getLink().getFrom(),
            EventKind.EVENT_KIND_LINK_DOWN, Frames.error(ErrorKind.ERROR_KIND_FAILED, "boom"));
        default -> { }
      }
    }

    private void answerThenEnd(long requestId, String to, EventKind kind, ExitResult result) {
      node.onEnvelope(N2, Envelope.newBuilder().setReply(PeerReply.newBuilder()
          .setRequestId(requestId).setStatus(Frames.OK).setPid(CHILD)).build());
      node.onEnvelope(N2, Envelope.newBuilder().setEvent(PeerEvent.newBuilder().setTo(to)
          .setEvent(Frames.event(kind, CHILD, result))).build());
    }

    @Override
    public void drop(NodeRecord peer) {}
  };

  @BeforeEach
  void start() {
    directory.join(N2, Map.of(), null);
    node = new Node(NodeConfig.defaults("n1"), directory, List.of());
    node.start("127.0.0.1:0", instantPeer);
    client = LocalAttach.attach(node, "", "test");
  }

  private Event nextEvent() throws InterruptedException {
    var r = client.events().receive(Duration.ofSeconds(5));
    assertThat(r).as("an event should arrive").isPresent();
    return r.get().value();
  }

  @Test
  void shouldDeliverTheExitOfARemoteChildThatEndsBeforeTheSpawnCallReturns() throws Exception {
    String child = client.spawnMonitored("test:return", "app:n2");

    Event exit = nextEvent();
    assertThat(child).isEqualTo(CHILD);
    assertThat(exit.kind()).isEqualTo(Event.Kind.EXIT);
    assertThat(exit.from()).isEqualTo(CHILD);
    assertThat(exit.result().value()).isEqualTo("quick");
  }

  @Test
  void shouldDeliverTheExitOfARemoteTargetThatEndsBeforeTheMonitorCallReturns() throws Exception {
    client.monitor(CHILD);

    assertThat(nextEvent().from()).isEqualTo(CHILD);
  }

  @Test
  void shouldDeliverTheLinkDownOfARemoteTargetThatFailsBeforeTheLinkCallReturns() throws Exception {
    client.setTrapLinks(true);

    client.link(CHILD);

    Event down = nextEvent();
    assertThat(down.kind()).isEqualTo(Event.Kind.LINK_DOWN);
    assertThat(down.result().error()).isEqualTo("boom");
  }
}
