package dev.troupe.client.wire;

import com.google.rpc.Status;
import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.proto.common.v1.ErrorKind;
import dev.troupe.proto.common.v1.EventKind;
import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.common.v1.ProcessError;
import dev.troupe.proto.common.v1.ProcessEvent;
import java.util.concurrent.CompletionException;

/** Small builders for the frames and statuses the node writes. */
public final class Frames {
  private Frames() {}

  public static final Status OK = Status.newBuilder().setCode(0).build();

  public static Status status(Throwable t) {
    Throwable cause = unwrap(t);
    if (cause instanceof Failures.Detailed d) {
      return Status.newBuilder().setCode(d.code().value()).setMessage(d.getMessage())
          .addDetails(d.detail() instanceof com.google.protobuf.Any any ? any
              : com.google.protobuf.Any.pack(d.detail())).build();
    }
    if (cause instanceof TroupeException te) {
      return Status.newBuilder().setCode(te.code().value()).setMessage(te.getMessage()).build();
    }
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return Status.newBuilder()
          .setCode(ErrorCode.DEADLINE_EXCEEDED.value())
          .setMessage("the node serving the target did not answer in time; it may be overloaded or"
              + " partitioned: retry, or check it with scripts/troupe status")
          .build();
    }
    if (cause instanceof IllegalArgumentException iae) {
      return Status.newBuilder()
          .setCode(ErrorCode.INVALID_ARGUMENT.value())
          .setMessage(String.valueOf(iae.getMessage()))
          .build();
    }
    return Status.newBuilder()
        .setCode(ErrorCode.INTERNAL.value())
        .setMessage("internal error: " + cause)
        .build();
  }

  public static TroupeException exception(Status s) {
    return Failures.fromStatus(s);
  }

  public static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof java.util.concurrent.ExecutionException && t.getCause() != null) {
      return unwrap(t.getCause());
    }
    return t;
  }

  public static ExitResult error(ErrorKind kind, String message) {
    return ExitResult.newBuilder()
        .setError(ProcessError.newBuilder().setKind(kind).setMessage(message))
        .build();
  }

  public static ProcessEvent event(EventKind kind, String from, ExitResult result) {
    return ProcessEvent.newBuilder()
        .setKind(kind)
        .setFrom(from)
        .setAtUnixMs(System.currentTimeMillis())
        .setResult(result)
        .build();
  }

  /**
   * How an exit reads in metrics and views: "normal", or its error kind in lower case ("crashed",
   * "node_lost", ...).
   */
  public static String kindName(ExitResult result) {
    return result.hasError() ? name(result.getError().getKind()) : "normal";
  }

  /** An error kind without its prefix, in lower case: ERROR_KIND_NODE_LOST is "node_lost". */
  public static String name(ErrorKind kind) {
    return kind.name().replace("ERROR_KIND_", "").toLowerCase(java.util.Locale.ROOT);
  }

  /** An event kind without its prefix, in lower case: EVENT_KIND_LINK_DOWN is "link_down". */
  public static String name(EventKind kind) {
    return kind.name().replace("EVENT_KIND_", "").toLowerCase(java.util.Locale.ROOT);
  }

  public static ProcessEvent cancel(String from, String reason) {
    return ProcessEvent.newBuilder()
        .setKind(EventKind.EVENT_KIND_CANCEL)
        .setFrom(from)
        .setAtUnixMs(System.currentTimeMillis())
        .setReason(reason)
        .build();
  }
}
