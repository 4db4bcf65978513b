package dev.troupe.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.TroupeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The re-attach loop, on a node in memory: notices, backoff, new links, giving up. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NodeConnectionTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Records the listener's calls as text. */
  private static final class Recorder implements NodeConnection.Listener {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void lost(EchoLink old, String reason) {
      calls.add("lost " + old.pid() + ": " + reason);
    }

    @Override
    public void restored(EchoLink old, EchoLink now, Duration outage) {
      calls.add("restored " + old.pid() + " -> " + now.pid());
    }

    @Override
    public void gaveUp(EchoLink old, Duration outage, String lastError) {
      calls.add("gave up " + old.pid() + ": " + lastError);
    }
  }

  @Test
  void theFirstAttachIsNotRetried() {
    FakeNode node = new FakeNode();
    node.crash();
    assertThatThrownBy(() -> NodeConnection.open(node, ReattachPolicy.defaults(), new Recorder()))
        .isInstanceOf(TroupeException.class).hasMessageContaining("UNAVAILABLE");
    assertThat(node.attachAttempts()).isEqualTo(1);
  }

  @Test
  void aLinkThatEndsIsReplacedByANewOneOnceTheNodeIsBackAndTheListenerHearsLostOnceThenRestored()
      throws Exception {
    // given
    FakeNode node = new FakeNode();
    Recorder recorder = new Recorder();
    NodeConnection c = NodeConnection.open(node, new ReattachPolicy(Duration.ofMillis(5), Duration.ofMillis(20),
        Duration.ofSeconds(30)), recorder);
    EchoLink first = c.awaitLink();

    // when: the node dies; several attempts fail; it comes back
    node.crash();
    await().atMost(WAIT).until(() -> node.attachAttempts() >= 5);
    assertThat(c.hasGivenUp()).isFalse();
    node.start();

    // then
    EchoLink second = c.awaitLink();
    assertThat(second).isNotNull().isNotSameAs(first);
    assertThat(second.hasEnded()).isFalse();
    assertThat(second.pid()).isNotEqualTo(first.pid());
    await().atMost(WAIT).until(() -> recorder.calls.size() == 2);
    assertThat(recorder.calls).containsExactly(
        "lost " + first.pid() + ": attach stream closed: UNAVAILABLE: Network closed for unknown reason",
        "restored " + first.pid() + " -> " + second.pid());
    c.close();
  }

  @Test
  void attemptsAreSpacedByTheBackoffNotMadeInATightLoop() throws Exception {
    // given: backoff 20 ms doubling to 80 ms
    FakeNode node = new FakeNode();
    ReattachPolicy policy = new ReattachPolicy(Duration.ofMillis(20), Duration.ofMillis(80), Duration.ofSeconds(30));
    NodeConnection c = NodeConnection.open(node, policy, new Recorder());

    // when: the node stays down for 6 re-attach attempts
    node.crash();
    await().atMost(WAIT).until(() -> node.attachAttempts() >= 1 + 6);

    // then: the first at once, then each after at least the policy's wait: 20, 40, 80, 80, 80 ms
    List<Long> at = node.attemptNanos().subList(1, 7);
    for (int i = 1; i < at.size(); i++) {
      assertThat(Duration.ofNanos(at.get(i) - at.get(i - 1))).as("wait before re-attach attempt %d", i + 1)
          .isGreaterThanOrEqualTo(policy.delay(i - 1));
    }
    c.close();
  }

  @Test
  void whenTheNodeStaysDownItGivesUpAfterThePolicysTimeAndAwaitLinkReturnsNull() throws Exception {
    // given
    FakeNode node = new FakeNode();
    Recorder recorder = new Recorder();
    NodeConnection c = NodeConnection.open(node, new ReattachPolicy(Duration.ofMillis(10), Duration.ofMillis(50),
        Duration.ofMillis(400)), recorder);
    String pid = c.awaitLink().pid();

    // when
    long t0 = System.nanoTime();
    node.crash();

    // then: awaitLink waits for the outcome, which is no link, after about 400 ms
    assertThat(c.awaitLink()).isNull();
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(took).isBetween(Duration.ofMillis(400), Duration.ofSeconds(5));
    assertThat(c.hasGivenUp()).isTrue();
    assertThat(c.overSignal().receive().ok()).as("the over signal, closed").isFalse();
    assertThat(recorder.calls).hasSize(2).first().asString().startsWith("lost " + pid);
    assertThat(recorder.calls.get(1)).isEqualTo("gave up " + pid + ": could not attach to fake:1: UNAVAILABLE connection refused");
    // and a node that comes back later is not attached to any more
    int attempts = node.attachAttempts();
    node.start();
    await("no attach attempt for 200 ms, a window in which a loop still running would attach")
        .during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
        .until(() -> node.attachAttempts() == attempts);
  }

  @Test
  void closingEndsTheLinkAndNoReattachFollows() throws Exception {
    FakeNode node = new FakeNode();
    Recorder recorder = new Recorder();
    NodeConnection c = NodeConnection.open(node, ReattachPolicy.defaults(), recorder);
    EchoLink link = c.awaitLink();

    c.close();

    assertThat(link.hasEnded()).isTrue();
    assertThat(c.awaitLink()).isNull();
    await("no re-attach for 200 ms, a window in which one would start").during(Duration.ofMillis(200))
        .atMost(Duration.ofSeconds(2)).until(() -> node.attachAttempts() == 1);
    assertThat(recorder.calls).isEmpty();
  }
}
