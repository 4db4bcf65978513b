package dev.troupe.runtime.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The embedded directory's id ranges: no PID is ever handed out twice, across restarts and members. */
class InMemoryDirectoryTest {
  private final InMemoryDirectory directory = new InMemoryDirectory();

  @Test
  void aRestartedNodeStartsFarAboveTheLastIdItsEarlierLifeReportedSoIdsGivenOutSinceAreNotReused() {
    NodeRecord first = new NodeRecord("relay", 1, "a:1", List.of("relay:clients"));
    assertThat(directory.join(first, Map.of(), null)).isEqualTo(1);
    directory.noteNextProcessId("relay", 9); // its last heartbeat: ids up to 8 used (and maybe more since)

    long next = directory.join(new NodeRecord("relay", 2, "a:1", List.of("relay:clients")), Map.of(), null);

    assertThat(next).isEqualTo(9 + InMemoryDirectory.RESTART_ID_GAP);
  }

  @Test
  void eachMemberOfASharedHostGetsItsOwnRangeAboveEveryIdTheHostUsed() {
    Shard ask = new Shard("app:pool", 0, 0, "launcher", false);
    long a = directory.join(new NodeRecord("w1", 1, "a:1", List.of(), ask), Map.of(), null);
    long b = directory.join(new NodeRecord("w2", 2, "a:2", List.of(), ask), Map.of(), null);
    directory.noteNextProcessId("w2", Shard.SPAN + 5);
    directory.leave(directory.node("w1").orElseThrow());
    long c = directory.join(new NodeRecord("w1", 3, "a:1", List.of(), ask), Map.of(), null);

    assertThat(a).isEqualTo(1);
    assertThat(b).isEqualTo(Shard.SPAN);
    assertThat(c).as("a new life of w1 never gets its old range back").isEqualTo(2 * Shard.SPAN);
    assertThat(directory.nodeServing(Pid.of("app:pool", Shard.SPAN + 4)).orElseThrow().name()).isEqualTo("w2");
    assertThat(directory.nodeServing(Pid.of("app:pool", 4))).as("w1's first life is gone").isEmpty();
  }

  @Test
  void aMemberThatRejoinsWithARangeAnotherLiveMemberHoldsIsRefused() {
    Shard ask = new Shard("app:pool", 0, 0, "launcher", false);
    directory.join(new NodeRecord("w1", 1, "a:1", List.of(), ask), Map.of(), null);
    NodeRecord clash = new NodeRecord("w9", 9, "a:9", List.of(), ask.assigned(1));

    assertThatThrownBy(() -> directory.join(clash, Map.of(), null))
        .isInstanceOfSatisfying(TroupeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ALREADY_EXISTS));
  }

  @Test
  void aNodeDeclaredLostCannotComeBackAsTheSameIncarnationButANewOneCan() {
    NodeRecord life = new NodeRecord("launcher", 7, "a:1", List.of("app:processes"));
    directory.join(life, Map.of(), null);
    directory.lose(life, "no heartbeat for 2500 ms");

    // its processes were reported dead everywhere: the same life back (a healed partition) must stop
    assertThatThrownBy(() -> directory.join(life, Map.of(), null))
        .isInstanceOfSatisfying(TroupeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
        .hasMessageContaining("launcher#7").hasMessageContaining("declared lost");
    assertThat(directory.node("launcher")).isEmpty();

    NodeRecord next = new NodeRecord("launcher", 8, "a:1", List.of("app:processes"));
    directory.join(next, Map.of(), null);
    assertThat(directory.node("launcher")).contains(next);
  }
}
