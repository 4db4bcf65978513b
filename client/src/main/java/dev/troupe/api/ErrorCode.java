package dev.troupe.api;

/**
 * Why a Troupe call failed. The values and numbers are the canonical gRPC status codes, so a code
 * means the same thing to a Java process, a Python client and a gRPC status on the wire.
 */
public enum ErrorCode {
  CANCELLED(1),
  UNKNOWN(2),
  INVALID_ARGUMENT(3),
  DEADLINE_EXCEEDED(4),
  NOT_FOUND(5),
  ALREADY_EXISTS(6),
  PERMISSION_DENIED(7),
  RESOURCE_EXHAUSTED(8),
  FAILED_PRECONDITION(9),
  UNAVAILABLE(14),
  INTERNAL(13),
  UNAUTHENTICATED(16);

  private final int value;

  ErrorCode(int value) {
    this.value = value;
  }

  /** The canonical gRPC code number. */
  public int value() {
    return value;
  }

  /** The code for a canonical number; UNKNOWN for numbers Troupe does not use. */
  public static ErrorCode forValue(int value) {
    for (ErrorCode c : values()) {
      if (c.value == value) {
        return c;
      }
    }
    return UNKNOWN;
  }
}
