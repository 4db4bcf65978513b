package dev.troupe.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Failures;
import dev.troupe.client.wire.Frames;
import org.junit.jupiter.api.Test;

/** Each refusal of a send, as the node reports it over the stream, gets a line that says what happened. */
class SendErrorsTest {
  /** As a reply's status carries it: code, message, detail packed in an Any. */
  private static TroupeException overTheWire(TroupeException e) {
    return Failures.fromStatus(Frames.status(e));
  }

  @Test
  void aNameNobodyHoldsIsRelayNotRegistered() {
    String line = SendErrors.describe(overTheWire(Failures.nameNotRegistered("relay", "could not resolve 'relay'")));
    assertThat(line).startsWith("relay not registered: no process holds the name 'relay'");
  }

  @Test
  void aRelayWhoseProcessEndedIsSaidSo() {
    String line = SendErrors.describe(overTheWire(Failures.processNotFound("{app:relay|0x00002}",
        "process not found: {app:relay|0x00002}")));
    assertThat(line).startsWith("relay not available: the process registered as 'relay' has ended")
        .contains("{app:relay|0x00002}");
  }

  @Test
  void aHostNoNodeServesIsTheRelaysNodeUnreachable() {
    String line = SendErrors.describe(overTheWire(Failures.hostUnavailable("app:relay", "",
        "host not found: no live node serves app:relay")));
    assertThat(line).isEqualTo("relay's node unreachable: host not found: no live node serves app:relay");
  }

  @Test
  void overALimitCarriesTheNodesWordsWithTheLimit() {
    String line = SendErrors.describe(overTheWire(new TroupeException(ErrorCode.RESOURCE_EXHAUSTED,
        "payload of 1100050 bytes is over this node's limit of 1048576 bytes; send less")));
    assertThat(line).isEqualTo("refused by the node, over a limit: payload of 1100050 bytes is over this node's"
        + " limit of 1048576 bytes; send less");
  }

  @Test
  void unavailableIsNodeUnreachable() {
    assertThat(SendErrors.describe(new TroupeException(ErrorCode.UNAVAILABLE, "the attach stream to the node is closed")))
        .isEqualTo("node unreachable: the attach stream to the node is closed");
  }

  @Test
  void anyOtherCodeIsNamed() {
    assertThat(SendErrors.describe(TroupeException.invalid("topic must not be empty")))
        .isEqualTo("send failed (INVALID_ARGUMENT): topic must not be empty");
  }

  @Test
  void tooLargeSaysTheSizeAndTheLimit() {
    assertThat(SendErrors.tooLarge(1_100_050, 1_048_576)).isEqualTo("line too long: it makes a message of 1100050"
        + " bytes, over the node's limit of 1048576 bytes (its --max-payload-bytes); not sent");
  }
}
