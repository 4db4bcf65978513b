package dev.troupe.api;

/**
 * Thrown by a process's main to end with an error without a stack trace in the logs, as the
 * original's {@code return nil, "message"}. Monitors see exactly {@code message} as the error.
 */
public class ProcessFailure extends RuntimeException {
  public ProcessFailure(String message) {
    super(message, null, false, false);
  }
}
