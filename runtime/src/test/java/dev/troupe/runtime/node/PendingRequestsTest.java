package dev.troupe.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.proto.peer.v1.PeerReply;
import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.registry.Shard;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Only the node asked, or one of its launcher's family it handed the request to, may answer it. */
class PendingRequestsTest {
  private final PendingRequests pending = new PendingRequests(Duration.ofSeconds(30));

  private static NodeRecord node(String name) {
    return new NodeRecord(name, 1, "127.0.0.1:1", List.of("app:" + name));
  }

  private static NodeRecord member(String name, String owner) {
    return new NodeRecord(name, 1, "127.0.0.1:1", List.of(), new Shard("app:processes", 0, 0, owner, false));
  }

  private static PeerReply reply(long id) {
    return PeerReply.newBuilder().setRequestId(id).setPid("{app:x|0x00001}").build();
  }

  @Test
  void aReplyFromANodeThatWasNotAskedCompletesNothing() {
    CompletableFuture<PeerReply> f = new CompletableFuture<>();
    long id = pending.open(node("relay"), f);

    assertThat(pending.complete(reply(id), node("mallory"))).isFalse();
    assertThat(f).isNotDone();
    assertThat(pending.complete(reply(id), member("mallory-w1", "mallory"))).isFalse();
    assertThat(f).isNotDone();

    assertThat(pending.complete(reply(id), node("relay"))).isTrue();
    assertThat(f).isCompleted();
  }

  @Test
  void aLauncherAndItsWorkerJvmsAnswerForEachOther() {
    // asked the launcher, answered by the worker JVM it placed the spawn on
    CompletableFuture<PeerReply> viaLauncher = new CompletableFuture<>();
    pending.complete(reply(pending.open(node("launcher"), viaLauncher)), member("launcher-w2", "launcher"));
    // asked a worker JVM, answered by another of the same launcher (it was full: the launcher placed it)
    CompletableFuture<PeerReply> viaSibling = new CompletableFuture<>();
    pending.complete(reply(pending.open(member("launcher-w1", "launcher"), viaSibling)), member("launcher-w3", "launcher"));
    // asked a worker JVM, answered by its launcher (it could place it nowhere)
    CompletableFuture<PeerReply> viaOwner = new CompletableFuture<>();
    pending.complete(reply(pending.open(member("launcher-w1", "launcher"), viaOwner)), node("launcher"));

    assertThat(List.of(viaLauncher, viaSibling, viaOwner)).allMatch(CompletableFuture::isDone);
  }
}
