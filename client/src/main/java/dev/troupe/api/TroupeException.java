package dev.troupe.api;

/** A Troupe call failed: a canonical code and a message that says what to fix. */
public class TroupeException extends RuntimeException {
  private final ErrorCode code;

  public TroupeException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  public static TroupeException invalid(String message) {
    return new TroupeException(ErrorCode.INVALID_ARGUMENT, message);
  }

  public static TroupeException notFound(String message) {
    return new TroupeException(ErrorCode.NOT_FOUND, message);
  }

  @Override
  public String toString() {
    return code + ": " + getMessage();
  }
}
