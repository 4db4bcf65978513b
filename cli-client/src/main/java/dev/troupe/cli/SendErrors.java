package dev.troupe.cli;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Failures;
import dev.troupe.proto.errordetails.v1.NameNotRegisteredFailure;
import dev.troupe.proto.errordetails.v1.NodeUnavailableFailure;
import dev.troupe.proto.errordetails.v1.ProcessNotFoundFailure;

/**
 * What the CLI prints when its node refuses a line: what happened, from the status code and the typed
 * detail ({@code troupe.errordetails.v1}) the node sent, never from parsing its message. The node's
 * message follows, for the specifics (sizes, PIDs, hosts).
 */
final class SendErrors {
  private SendErrors() {}

  /** One line, without the leading "error: ". */
  static String describe(TroupeException e) {
    String msg = e.getMessage();
    Message detail = e instanceof Failures.Detailed d ? d.detail() : null;
    return switch (e.code()) {
      case NOT_FOUND -> {
        if (is(detail, NameNotRegisteredFailure.class)) {
          yield "relay not registered: no process holds the name 'relay'; is relay-service running?"
              + " (scripts/troupe status)";
        }
        if (is(detail, ProcessNotFoundFailure.class)) {
          yield "relay not available: the process registered as 'relay' has ended; a restarted relay"
              + " registers again within seconds (" + msg + ")";
        }
        if (is(detail, NodeUnavailableFailure.class)) {
          yield "relay's node unreachable: " + msg;
        }
        yield "relay not available: " + msg;
      }
      // The node's message says which limit: the payload size, or a full mailbox.
      case RESOURCE_EXHAUSTED -> "refused by the node, over a limit: " + msg;
      case UNAVAILABLE -> "node unreachable: " + msg;
      case DEADLINE_EXCEEDED -> "the node did not answer in time: " + msg;
      default -> "send failed (" + e.code() + "): " + msg;
    };
  }

  /** The line a request over the node's payload limit gets; it is not sent. */
  static String tooLarge(long bytes, int limit) {
    return "line too long: it makes a message of " + bytes + " bytes, over the node's limit of " + limit
        + " bytes (its --max-payload-bytes); not sent";
  }

  /** Whether {@code detail} is a {@code type}, packed in an Any (as received) or not (as raised). */
  private static boolean is(Message detail, Class<? extends Message> type) {
    if (detail instanceof Any any) {
      return any.is(type);
    }
    return type.isInstance(detail);
  }
}
