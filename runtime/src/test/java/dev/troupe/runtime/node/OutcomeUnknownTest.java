package dev.troupe.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Failures;
import dev.troupe.client.wire.Frames;
import dev.troupe.proto.peer.v1.PeerReply;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A request whose node was lost before answering has no known outcome (a spawned child may have run),
 * and says so in a typed way that survives the wire, so that a caller such as the relay does not
 * report a failure for work that may have been done.
 */
class OutcomeUnknownTest {
  @Test
  void aRequestFailedBecauseItsNodeWasLostBeforeAnsweringHasNoKnownOutcomeHereAndAfterTheWire() {
    PendingRequests pending = new PendingRequests(Duration.ofSeconds(5));
    CompletableFuture<PeerReply> reply = new CompletableFuture<>();
    pending.open(new dev.troupe.runtime.registry.NodeRecord("launcher.w1", 1, "127.0.0.1:1", java.util.List.of()), reply);

    pending.failAll("launcher.w1", "worker JVM killed by signal 9 (SIGKILL)");

    Throwable failure = reply.handle((r, t) -> t).join();
    assertThat(Failures.outcomeUnknown(failure)).isTrue();
    assertThat(((TroupeException) failure).code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(failure.getMessage()).contains("launcher.w1").contains("SIGKILL");
    // as a process attached to the node sees it: rebuilt from the reply's status
    assertThat(Failures.outcomeUnknown(Frames.exception(Frames.status(failure)))).isTrue();
  }

  @Test
  void aRefusalOrAnUnavailableLauncherIsACertainFailure() {
    assertThat(Failures.outcomeUnknown(new TroupeException(ErrorCode.RESOURCE_EXHAUSTED, "full"))).isFalse();
    assertThat(Failures.outcomeUnknown(new TroupeException(ErrorCode.UNAVAILABLE, "the launcher is shutting down")))
        .isFalse();
    assertThat(Failures.outcomeUnknown(Failures.hostUnavailable("app:processes", "", "no live node"))).isFalse();
  }
}
