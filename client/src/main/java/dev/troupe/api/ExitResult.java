package dev.troupe.api;

/**
 * How a process ended: the value its main returned, or an error.
 *
 * @param value what main returned (normal exit), else null
 * @param error the error text (error exit), else null
 * @param errorKind why it failed (FAILED, TERMINATED, LINKED_PROCESS_FAILED, NODE_LOST, CRASHED), else null
 */
public record ExitResult(Object value, String error, String errorKind) {

  public static ExitResult normal(Object value) {
    return new ExitResult(value, null, null);
  }

  public static ExitResult failed(String kind, String error) {
    return new ExitResult(null, error, kind);
  }

  public boolean isError() {
    return error != null;
  }
}
