package dev.troupe.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.Attached;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The client side of one attach stream, driven frame by frame without a node. */
class AttachConnectionTest {

  /** A stream whose frames the test reads and whose node the test plays. */
  private static AttachConnection attachedStream(List<AttachRequest> written) {
    AttachConnection conn = new AttachConnection(Duration.ofSeconds(30));
    conn.bind(new AttachTransport() {
      @Override
      public void send(AttachRequest frame) {
        written.add(frame);
      }

      @Override
      public void halfClose() {}
    });
    conn.onFrame(AttachResponse.newBuilder().setAttached(Attached.newBuilder()
        .setPid("{app:clients|0x00001}").setNode("n1")).build());
    return conn;
  }

  @Test
  void aRequestThatFailsBecauseTheStreamClosedFindsItsProcessAlreadyEnded() {
    // given: a process with a request waiting for its node's reply
    List<AttachRequest> written = new CopyOnWriteArrayList<>();
    AttachConnection conn = attachedStream(written);
    AttachedProcess p = conn.attached().join();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicReference<Boolean> endedWhenItFailed = new AtomicReference<>();
    p.spawnAsync("app:x", "app:processes", false, false).whenComplete((pid, t) -> {
      failure.set(t);
      endedWhenItFailed.set(p.hasEnded()); // what its caller sees at the moment it learns of the failure
    });
    assertThat(written).as("the spawn on the stream").hasSize(1);

    // when: the stream breaks (the node's JVM was killed)
    conn.onStreamClosed(new RuntimeException("UNAVAILABLE: Network closed for unknown reason"));

    // then: the request failed as unavailable, and its process had ended by then: whoever handles the
    // failure takes it for the stream's end, not for a refusal by a live node
    assertThat(failure.get()).isInstanceOf(java.util.concurrent.CompletionException.class)
        .cause().isInstanceOf(TroupeException.class);
    assertThat(((TroupeException) failure.get().getCause()).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(endedWhenItFailed.get()).isTrue();
    assertThat(p.ended()).isCompletedWithValue("attach stream closed: UNAVAILABLE: Network closed for unknown reason");
  }
}
