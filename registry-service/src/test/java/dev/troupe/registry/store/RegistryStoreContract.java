package dev.troupe.registry.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.registry.testing.HeardEvents;
import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.registry.RegistryStore;
import dev.troupe.runtime.registry.Shard;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * What every registry store does, whoever keeps it (the registry's memory, or etcd shared by replicas):
 * the rules of names, hosts, lives and sessions that nodes rely on. Each store's test class runs all of
 * it; {@link #store()} is the store nodes join through, {@link #replica()} another registry's view of
 * the same directory (the same object where there is only one registry).
 */
public abstract class RegistryStoreContract {
  static final Duration WAIT = Duration.ofSeconds(10);

  protected abstract RegistryStore store();

  protected abstract RegistryStore replica();

  static NodeRecord node(String name, long incarnation) {
    return new NodeRecord(name, incarnation, "127.0.0.1:1", List.of("app:" + name));
  }

  static Pid pid(String host, long id) {
    return Pid.of(host, id);
  }

  private static ErrorCode codeOf(Throwable t) {
    Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    return ((TroupeException) c).code();
  }

  @Test
  void aNameHasOneOwnerAndRegisteringItAgainIsIdempotent() {
    NodeRecord a = node("a", 1);
    NodeRecord b = node("b", 1);
    store().join(a, Map.of(), null);
    store().join(b, Map.of(), null);

    store().register(a, "svc", pid("app:a", 7)).join();
    store().register(a, "svc", pid("app:a", 7)).join();

    assertThatThrownBy(() -> store().register(b, "svc", pid("app:b", 3)).join())
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(ErrorCode.ALREADY_EXISTS));
    assertThat(store().lookup("svc").join()).contains(pid("app:a", 7));
    assertThat(replica().lookup("svc").join()).contains(pid("app:a", 7));
  }

  @Test
  void onlyItsOwnerUnregistersANameAndOnlyItsNodeActsForIt() {
    NodeRecord a = node("a", 1);
    NodeRecord b = node("b", 1);
    store().join(a, Map.of(), null);
    store().join(b, Map.of(), null);
    store().register(a, "svc", pid("app:a", 7)).join();

    assertThatThrownBy(() -> store().register(b, "other", pid("app:a", 8)).join())
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(ErrorCode.PERMISSION_DENIED));
    assertThatThrownBy(() -> store().unregister(a, "svc", pid("app:a", 8)).join())
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(ErrorCode.PERMISSION_DENIED));
    assertThat(store().unregister(a, "svc", pid("app:a", 7)).join()).isTrue();
    assertThat(store().unregister(a, "svc", pid("app:a", 7)).join()).isFalse();
    assertThat(store().lookup("svc").join()).isEmpty();
  }

  @Test
  void releasingAProcessFreesEveryNameItHeldAndNoOther() {
    NodeRecord a = node("a", 1);
    store().join(a, Map.of(), null);
    store().register(a, "one", pid("app:a", 7)).join();
    store().register(a, "two", pid("app:a", 7)).join();
    store().register(a, "kept", pid("app:a", 9)).join();

    assertThat(store().releaseAll(a, pid("app:a", 7)).join()).containsExactlyInAnyOrder("one", "two");
    assertThat(store().names()).containsOnlyKeys("kept");
  }

  @Test
  void aLostNodesNamesAreReleasedBeforeEveryReplicaHearsItIsLost() {
    NodeRecord a = node("a", 1);
    store().join(a, Map.of(), null);
    store().register(a, "svc", pid("app:a", 7)).join();
    HeardEvents heard = new HeardEvents();
    replica().addListener(heard);

    store().lose(a, "killed by test");

    await().atMost(WAIT).until(() -> heard.events().stream().anyMatch(e -> e.startsWith("lost a")));
    assertThat(heard.events()).containsSubsequence("name svc=free", "lost a: killed by test");
    assertThat(replica().node("a")).isEmpty();
    assertThat(replica().lookup("svc").join()).isEmpty();
  }

  @Test
  void aHostServedByALiveNodeCannotBeJoinedByAnother() {
    store().join(node("a", 1), Map.of(), null);
    NodeRecord intruder = new NodeRecord("x", 1, "127.0.0.1:2", List.of("app:a"));

    assertThatThrownBy(() -> replica().join(intruder, Map.of(), null))
        .isInstanceOf(TroupeException.class)
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(ErrorCode.ALREADY_EXISTS))
        .hasMessageContaining("app:a");
  }

  @Test
  void aLostIncarnationCannotComeBackButANewOneJoinsAboveItsIds() {
    NodeRecord first = node("a", 1);
    store().join(first, Map.of(), null);
    store().noteNextProcessId("a", 5_000);
    store().lose(first, "partitioned");
    await().atMost(WAIT).until(() -> store().node("a").isEmpty());

    assertThatThrownBy(() -> replica().join(first, Map.of(), null))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(ErrorCode.FAILED_PRECONDITION));
    long firstId = replica().join(node("a", 2), Map.of(), null);
    assertThat(firstId).isGreaterThanOrEqualTo(5_000 + InMemoryDirectory.RESTART_ID_GAP);
  }

  @Test
  void membersOfASharedHostGetDisjointRangesAndGoWithTheirOwner() {
    NodeRecord launcher = new NodeRecord("launcher", 1, "127.0.0.1:1", List.of("app:processes"));
    store().join(launcher, Map.of(), null);
    NodeRecord w1 = new NodeRecord("w1", 1, "127.0.0.1:2", List.of(), new Shard("app:processes", 0, 0, "launcher", false));
    NodeRecord w2 = new NodeRecord("w2", 1, "127.0.0.1:3", List.of(), new Shard("app:processes", 0, 0, "launcher", false));

    long first1 = store().join(w1, Map.of(), null);
    long first2 = replica().join(w2, Map.of(), null);

    Shard s1 = store().node("w1").orElseThrow().shard();
    Shard s2 = replica().node("w2").orElseThrow().shard();
    assertThat(first1).isEqualTo(s1.firstId());
    assertThat(first2).isEqualTo(s2.firstId());
    assertThat(s1.overlaps(s2)).isFalse();
    await().atMost(WAIT).until(() -> // the other replica hears of it through the store
        store().nodeServing(pid("app:processes", s2.firstId() + 5)).map(NodeRecord::name).equals(Optional.of("w2")));

    store().lose(launcher, "launcher killed");
    await().atMost(WAIT).until(() -> replica().node("w1").isEmpty() && replica().node("w2").isEmpty());
  }

  @Test
  void aNodeMovesItsSessionWithItsTokenAndTheOldSessionsEndIsNotALoss() {
    NodeRecord a = node("a", 1);
    store().join(a, Map.of(), null);
    store().register(a, "svc", pid("app:a", 7)).join();
    byte[] oldToken = store().token(a).orElseThrow();
    HeardEvents heard = new HeardEvents();
    store().addListener(heard);

    replica().join(a, Map.of(), null, oldToken);
    byte[] newToken = replica().token(a).orElseThrow();
    store().endSession(a, oldToken, "its old stream broke");

    assertThat(newToken).isNotEqualTo(oldToken);
    await().atMost(WAIT).until(() -> store().token(a).map(t -> java.util.Arrays.equals(t, newToken)).orElse(false));
    assertThat(store().authenticate("a", oldToken)).isEmpty();
    assertThat(store().authenticate("a", newToken)).contains(a);
    // its peers hear of it again (their tickets for it are made with its token), and never of a loss
    await().atMost(WAIT).until(() -> heard.events().contains("up a"));
    await().during(Duration.ofSeconds(1)).atMost(WAIT).until(() -> heard.events().stream().noneMatch(e -> e.startsWith("lost")));
    assertThat(store().lookup("svc").join()).contains(pid("app:a", 7));

    replica().endSession(a, newToken, "silent");
    await().atMost(WAIT).until(() -> store().node("a").isEmpty());
    assertThat(store().lookup("svc").join()).isEmpty();
  }

  @Test
  void aLiveNodesNameCannotBeTakenWithoutItsToken() {
    NodeRecord a = node("a", 1);
    store().join(a, Map.of(), null);

    assertThatThrownBy(() -> replica().join(a, Map.of(), null, new byte[] {1, 2, 3}))
        .satisfies(t -> assertThat(codeOf(t)).isEqualTo(ErrorCode.UNAVAILABLE));
    assertThat(store().node("a")).isPresent();
  }

  @Test
  void aRejoiningNodesClaimsRestoreOnlyFreeNamesOfItsOwnProcesses() {
    NodeRecord b = node("b", 1);
    store().join(b, Map.of(), null);
    store().register(b, "taken", pid("app:b", 1)).join();

    store().join(node("a", 1), Map.of("mine", pid("app:a", 4), "taken", pid("app:a", 5),
        "planted", pid("app:b", 9)), null);

    assertThat(replica().lookup("mine").join()).contains(pid("app:a", 4));
    assertThat(replica().lookup("taken").join()).contains(pid("app:b", 1));
    assertThat(replica().lookup("planted").join()).isEqualTo(Optional.empty());
  }
}
