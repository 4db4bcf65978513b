package dev.troupe.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.examples.echo.EchoProtocol;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Echo session against a node in memory: what the user sees for each line, and the exit code. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EchoSessionTest {
  /** The start of the notice that the CLI's node went away: it names the node and its address. */
  private static final String LOST = "connection to node relay at fake:1 lost";

  private static boolean isAnswer(String line) {
    return line.startsWith("  ");
  }

  @Test
  void aLineIsAnsweredWithTheWorkersPidAndTheSessionEndsWithZero() throws Exception {
    try (CliHarness cli = new CliHarness().start()) {
      // when
      cli.type("hello");
      cli.endInput();

      // then
      assertThat(cli.exitCode()).isZero();
      assertThat(cli.screen()).containsSubsequence("  HELLO", "  from worker: " + FakeNode.WORKER, "Goodbye!");
    }
  }

  @Test
  void theBannerNamesEveryWayToLeave() {
    try (CliHarness cli = new CliHarness().start()) {
      assertThat(cli.screen()).contains("Type messages to echo. An empty line, Ctrl+D or Ctrl+C exits.");
    }
  }

  @Test
  void theBannerSaysWhichNodeAtWhichAddressTheCliIsAttachedToAndAsWhichPid() {
    try (CliHarness cli = new CliHarness().start()) {
      assertThat(cli.screen()).containsSubsequence("Echo Client",
          "Attached to node relay at fake:1 as {relay:clients|0x00001}.",
          "Type messages to echo. An empty line, Ctrl+D or Ctrl+C exits.");
    }
  }

  @Test
  void aLineOverTheNodesPayloadLimitIsRefusedBeforeItIsSentAndSaysTheLimit() throws Exception {
    try (CliHarness cli = new CliHarness().start()) {
      // given: a node that takes at most 1000 bytes of payload per message
      cli.node.maxPayloadBytes(1000);

      // when
      cli.type("x".repeat(1000));
      cli.endInput();

      // then: refused by the CLI itself, saying the size and the limit; no line was answered
      String error = cli.awaitLine(l -> l.startsWith("  error:"), "an error line");
      assertThat(error).startsWith("  error: line too long:").contains("over the node's limit of 1000 bytes")
          .containsPattern("message of 10\\d\\d bytes");
      assertThat(cli.node.sent()).as("requests the node received").isEmpty();
      assertThat(cli.exitCode()).as("no line got an answer").isEqualTo(1);
    }
  }

  @Test
  void aLineJustUnderTheLimitIsSent() throws Exception {
    try (CliHarness cli = new CliHarness().start()) {
      // given: the limit is exactly what a 3-character line's request takes
      cli.node.maxPayloadBytes((int) EchoProtocol.size(EchoProtocol.request(cli.node.current().pid(), "abc", 1)));

      // when
      cli.type("abc");
      cli.endInput();

      // then
      assertThat(cli.exitCode()).isZero();
      assertThat(cli.screen()).contains("  ABC");
    }
  }

  @Test
  void aLineWhileNothingHoldsTheRelayNameSaysRelayNotRegistered() throws Exception {
    try (CliHarness cli = new CliHarness().start()) {
      // given
      cli.node.relayRegistered(false);

      // when
      cli.type("anyone?");
      cli.endInput();

      // then
      assertThat(cli.awaitLine(EchoSessionTest::isAnswer, "an answer line"))
          .startsWith("  error: relay not registered: no process holds the name 'relay'");
      assertThat(cli.exitCode()).isEqualTo(1);
    }
  }

  @Test
  void aSendTheNodeRefusesAsOverALimitSaysSoWithTheNodesWords() throws Exception {
    try (CliHarness cli = new CliHarness().start()) {
      // given: a node whose limit is lower than it said (its send answers RESOURCE_EXHAUSTED)
      cli.node.relay((link, request) -> {
        throw new TroupeException(ErrorCode.RESOURCE_EXHAUSTED,
            "payload of 60 bytes is over this node's limit of 50 bytes; send less");
      });

      // when
      cli.type("big");
      cli.endInput();

      // then
      assertThat(cli.awaitLine(EchoSessionTest::isAnswer, "an answer line"))
          .isEqualTo("  error: refused by the node, over a limit: payload of 60 bytes is over this node's limit"
              + " of 50 bytes; send less");
      assertThat(cli.exitCode()).isEqualTo(1);
    }
  }

  @Test
  void theRelaysEchoErrorIsPrintedAtOnceNotAfterTheReplyTimeout() throws Exception {
    // given: a reply timeout of 20 s, and a relay that cannot start a worker
    try (CliHarness cli = new CliHarness().start(CliHarness.replyTimeout(Duration.ofSeconds(20)),
        ReattachPolicy.defaults())) {
      cli.node.relay((link, request) -> link.deliver("{app:relay|0x00002}", EchoProtocol.ECHO_ERROR,
          Map.of("id", request.get("id"), "reason", "RESOURCE_EXHAUSTED: all 2 worker JVMs are busy")));

      // when
      long t0 = System.nanoTime();
      cli.type("busy?");
      String answer = cli.awaitLine(EchoSessionTest::isAnswer, "an answer line");

      // then: well before the 20 s timeout
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
      assertThat(answer).isEqualTo("  error: no worker available: RESOURCE_EXHAUSTED: all 2 worker JVMs are busy");
      cli.endInput();
      assertThat(cli.exitCode()).isEqualTo(1);
    }
  }

  @Test
  void anEchoErrorForAnEarlierLineIsNotTakenAsThisLinesAnswer() throws Exception {
    try (CliHarness cli = new CliHarness().start()) {
      // given: a stray echo_error for request 99, then the worker's answer
      cli.node.relay((link, request) -> {
        link.deliver("{app:relay|0x00002}", EchoProtocol.ECHO_ERROR, Map.of("id", 99L, "reason", "late"));
        FakeNode.answerAsWorker(link, request);
      });

      // when
      cli.type("mine");
      cli.endInput();

      // then
      assertThat(cli.exitCode()).isZero();
      assertThat(cli.screen()).contains("  MINE").noneMatch(l -> l.contains("late"));
    }
  }

  @Test
  void whenEveryLineFailsTheExitCodeIsOneAndWhenOneIsAnsweredItIsZero() throws Exception {
    try (CliHarness cli = new CliHarness().start(CliHarness.replyTimeout(Duration.ofMillis(100)),
        ReattachPolicy.defaults())) {
      cli.node.relay(FakeNode::silent);
      cli.type("one");
      cli.type("two");
      cli.endInput();
      assertThat(cli.exitCode()).as("two timeouts").isEqualTo(1);
      assertThat(cli.count(l -> l.equals("  timeout"))).isEqualTo(2);
    }
    try (CliHarness cli = new CliHarness().start(CliHarness.replyTimeout(Duration.ofMillis(100)),
        ReattachPolicy.defaults())) {
      cli.node.relay(FakeNode::silent);
      cli.type("one");
      cli.awaitLine(l -> l.equals("  timeout"), "the first line's timeout");
      cli.node.relay(FakeNode::answerAsWorker);
      cli.type("two");
      cli.endInput();
      assertThat(cli.exitCode()).as("a timeout, then an answer").isZero();
    }
  }

  // ------------------------------------------------------------------------------- node restarts

  @Test
  void afterItsNodeRestartsTheSessionSaysSoOnceReattachesWithANewPidAndAnswersTheNextLine() throws Exception {
    try (CliHarness cli = new CliHarness().start()) {
      // given: an answered line
      String firstPid = cli.node.current().pid();
      cli.type("before");
      cli.awaitLine(l -> l.equals("  BEFORE"), "the first answer");

      // when: the node dies, stays down a while, and comes back
      cli.node.crash();
      cli.awaitLine(l -> l.startsWith(LOST), "the lost notice");
      await("re-attach attempts while the node is down").atMost(CliHarness.WAIT)
          .until(() -> cli.node.attachAttempts() >= 4);
      cli.node.start();

      // then: it said which node went away, at which address, and why
      assertThat(cli.screen()).contains(LOST + " (attach stream closed: UNAVAILABLE: Network closed for unknown"
          + " reason); re-attaching");
      // and it re-attaches as a new process, and says to which node and as which
      String restored = cli.awaitLine(l -> l.startsWith("re-attached"), "the restored notice");
      String newPid = cli.node.current().pid();
      assertThat(newPid).isNotEqualTo(firstPid);
      assertThat(restored).startsWith("re-attached to node relay at fake:1 after ")
          .endsWith(": new PID " + newPid + " (was " + firstPid + ")");
      // and answers the next line from the new process
      cli.type("after");
      cli.awaitLine(l -> l.equals("  AFTER"), "the answer after the restart");
      assertThat(cli.node.sent().getLast()).containsEntry("sender", newPid);
      assertThat(cli.count(l -> l.startsWith(LOST))).as(String.join("\n", cli.screen()))
          .isEqualTo(1);
      assertThat(cli.screen()).noneMatch(l -> l.contains("relay not available"));
      cli.endInput();
      assertThat(cli.exitCode()).isZero();
    }
  }

  @Test
  void aLineTypedWhileReattachingWaitsAndIsSentOnceAttached() throws Exception {
    try (CliHarness cli = new CliHarness().start()) {
      // given: the node is down
      cli.node.crash();
      cli.awaitLine(l -> l.startsWith(LOST), "the lost notice");

      // when: a line is typed meanwhile, then the node comes back
      cli.type("queued");
      await("re-attach attempts while the node is down").atMost(CliHarness.WAIT)
          .until(() -> cli.node.attachAttempts() >= 3);
      assertThat(cli.node.sent()).as("sent while down").isEmpty();
      cli.node.start();

      // then: the line is sent from the new process and answered, not lost nor refused
      cli.awaitLine(l -> l.equals("  QUEUED"), "the queued line's answer");
      assertThat(cli.screen()).noneMatch(l -> l.startsWith("  error"));
    }
  }

  @Test
  void aLineWhoseAnswerWasOnItsWayWhenTheNodeDiedIsSentAgainFromTheNewProcess() throws Exception {
    try (CliHarness cli = new CliHarness().start()) {
      // given: the relay accepts the line but the answer never comes: the node dies first
      cli.node.relay(FakeNode::silent);
      cli.type("in flight");
      await("the request at the node").atMost(CliHarness.WAIT).until(() -> cli.node.sent().size() == 1);
      cli.node.relay(FakeNode::answerAsWorker);

      // when
      cli.node.crash();
      cli.node.start();

      // then: answered once, from the new process
      cli.awaitLine(l -> l.equals("  IN FLIGHT"), "the answer");
      assertThat(cli.node.sent()).hasSize(2);
      assertThat(cli.node.sent().get(1).get("sender")).isEqualTo(cli.node.current().pid());
      assertThat(cli.node.sent().get(1).get("id")).isEqualTo(cli.node.sent().get(0).get("id"));
      assertThat(cli.count(l -> l.equals("  IN FLIGHT"))).isEqualTo(1);
      assertThat(cli.screen()).doesNotContain("  timeout");
    }
  }

  @Test
  void whenTheNodeNeverComesBackTheSessionSaysLostOnceGivesUpAndExitsWithOne() throws Exception {
    // given: re-attaching gives up after 300 ms
    try (CliHarness cli = new CliHarness().start(CliHarness.replyTimeout(Duration.ofSeconds(2)),
        CliHarness.reattachGivingUpAfter(Duration.ofMillis(300)))) {
      cli.type("one");
      cli.awaitLine(l -> l.equals("  ONE"), "the first answer");

      // when: the topology goes down for good, while the session waits for the next line
      cli.node.crash();

      // then: one lost notice, one give-up notice, and exit code 1 without any further input
      assertThat(cli.exitCode()).isEqualTo(1);
      assertThat(cli.count(l -> l.startsWith(LOST))).isEqualTo(1);
      assertThat(cli.count(l -> l.startsWith("gave up re-attaching: no Troupe node answered at fake:1"))).isEqualTo(1);
      assertThat(cli.screen()).noneMatch(l -> l.contains("relay not available"));
    }
  }

  @Test
  void aLineHeldWhenReattachingGivesUpGetsAnErrorAndTheExitCodeIsOne() throws Exception {
    try (CliHarness cli = new CliHarness().start(CliHarness.replyTimeout(Duration.ofSeconds(2)),
        CliHarness.reattachGivingUpAfter(Duration.ofMillis(500)))) {
      cli.type("one");
      cli.awaitLine(l -> l.equals("  ONE"), "the first answer");
      cli.node.crash();
      cli.awaitLine(l -> l.startsWith(LOST), "the lost notice");

      // when
      cli.type("held");

      // then
      assertThat(cli.exitCode()).isEqualTo(1);
      assertThat(cli.awaitLine(l -> l.startsWith("  error"), "the held line's error"))
          .isEqualTo("  error: not sent: the connection to the node was lost and could not be restored");
    }
  }
}
