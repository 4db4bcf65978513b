package dev.troupe.client.wire;

import com.google.protobuf.Message;
import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.proto.errordetails.v1.NameAlreadyRegisteredFailure;
import dev.troupe.proto.errordetails.v1.NameNotRegisteredFailure;
import dev.troupe.proto.errordetails.v1.NodeUnavailableFailure;
import dev.troupe.proto.errordetails.v1.ProcessNotFoundFailure;

/**
 * The failures that carry a typed detail from {@code troupe.errordetails.v1}, so that a client in any
 * language can act on the error without parsing its message.
 */
public final class Failures {
  private Failures() {}

  /** A {@link TroupeException} with a detail that goes into {@code google.rpc.Status.details}. */
  public static final class Detailed extends TroupeException {
    private final transient Message detail;

    Detailed(ErrorCode code, String message, Message detail) {
      super(code, message);
      this.detail = detail;
    }

    public Message detail() {
      return detail;
    }
  }

  /** Rebuilds a failure from a status received from another service, keeping its first detail. */
  public static TroupeException fromStatus(com.google.rpc.Status status) {
    ErrorCode code = ErrorCode.forValue(status.getCode());
    if (status.getDetailsCount() > 0) {
      return new Detailed(code, status.getMessage(), status.getDetails(0));
    }
    return new TroupeException(code, status.getMessage());
  }

  public static TroupeException processNotFound(String pid, String message) {
    return new Detailed(ErrorCode.NOT_FOUND, message, ProcessNotFoundFailure.newBuilder().setPid(pid).build());
  }

  public static TroupeException nameNotRegistered(String name, String message) {
    return new Detailed(ErrorCode.NOT_FOUND, message, NameNotRegisteredFailure.newBuilder().setName(name).build());
  }

  public static TroupeException nameTaken(String name, String owner) {
    return new Detailed(ErrorCode.ALREADY_EXISTS,
        "name already registered: '" + name + "' is held by " + owner,
        NameAlreadyRegisteredFailure.newBuilder().setName(name).setOwner(owner).build());
  }

  /**
   * A request to a node that was lost before its answer arrived: whether it was carried out is
   * unknown (a spawned child may have run: its first messages and the answer travel on different
   * streams). UNAVAILABLE with the node in a {@code NodeUnavailableFailure}.
   */
  public static TroupeException lostBeforeAnswer(String node, String reason) {
    return new Detailed(ErrorCode.UNAVAILABLE, "node " + node + " was lost before it answered: " + reason,
        NodeUnavailableFailure.newBuilder().setNode(node).build());
  }

  /** Whether {@code t} is a {@link #lostBeforeAnswer} failure, here or from another node. */
  public static boolean outcomeUnknown(Throwable t) {
    Throwable c = Frames.unwrap(t);
    return c instanceof Detailed d && d.code() == ErrorCode.UNAVAILABLE
        && (d.detail() instanceof NodeUnavailableFailure
            || d.detail() instanceof com.google.protobuf.Any any && any.is(NodeUnavailableFailure.class));
  }

  /**
   * The registry declared {@code node} lost (silent too long) and it speaks again: FAILED_PRECONDITION
   * with a {@code NodeDeclaredLostFailure}, on which the node stops (fail-stop).
   */
  public static TroupeException declaredLost(String node, long incarnation, String label) {
    return new Detailed(ErrorCode.FAILED_PRECONDITION, "node " + label + " was declared lost; restart it",
        dev.troupe.proto.errordetails.v1.NodeDeclaredLostFailure.newBuilder().setNode(node)
            .setIncarnation(incarnation).build());
  }

  public static TroupeException hostUnavailable(String host, String node, String message) {
    return new Detailed(ErrorCode.NOT_FOUND, message,
        NodeUnavailableFailure.newBuilder().setHost(host).setNode(node).build());
  }
}
