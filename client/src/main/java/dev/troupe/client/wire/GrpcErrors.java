package dev.troupe.client.wire;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/**
 * The one place where Troupe's failures become the statuses gRPC calls end with, and back. A
 * {@link TroupeException} keeps its code, its message and its typed detail (troupe.errordetails.v1,
 * in the {@code google.rpc.Status} trailers) both ways; replies inside a stream carry the same
 * {@code google.rpc.Status} ({@link Frames#status}, {@link Failures#fromStatus}).
 */
public final class GrpcErrors {
  private GrpcErrors() {}

  /** {@code t} as the status a call ends with: its code, message and typed detail, if it has one. */
  public static StatusRuntimeException toStatusException(Throwable t) {
    return StatusProto.toStatusRuntimeException(Frames.status(t));
  }

  /**
   * A call's failure as a {@link TroupeException}: the typed detail's when the status carries one, else
   * the status's code and description; a transport failure (UNAVAILABLE, DEADLINE_EXCEEDED) says that
   * {@code what} could not reach {@code peer}.
   */
  public static TroupeException toTroupe(Throwable t, String what, String peer) {
    if (t instanceof TroupeException te) {
      return te;
    }
    if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      return toTroupe(t.getCause(), what, peer);
    }
    com.google.rpc.Status rich = StatusProto.fromThrowable(t);
    if (rich != null && rich.getDetailsCount() > 0) {
      return Failures.fromStatus(rich);
    }
    Status s = Status.fromThrowable(t);
    if (!(t instanceof StatusRuntimeException) && s.getCode() == Status.Code.UNKNOWN) {
      return new TroupeException(ErrorCode.INTERNAL, what + ": " + t);
    }
    String desc = s.getDescription() == null ? s.getCode().toString() : s.getDescription();
    return new TroupeException(ErrorCode.forValue(s.getCode().value()),
        s.getCode() == Status.Code.UNAVAILABLE || s.getCode() == Status.Code.DEADLINE_EXCEEDED
            ? what + ": " + peer + " unavailable (" + desc + ")" : desc);
  }
}
