package dev.troupe.api;

/**
 * An event on a process's events channel.
 *
 * @param kind EXIT, LINK_DOWN or CANCEL
 * @param from EXIT/LINK_DOWN: the PID that ended; CANCEL: the PID that asked
 * @param atUnixMs when the event was made
 * @param result EXIT/LINK_DOWN: the outcome of the process that ended; null for CANCEL
 * @param reason CANCEL: the reason given; "" otherwise
 */
public record Event(Kind kind, String from, long atUnixMs, ExitResult result, String reason) {

  public enum Kind {
    EXIT,
    LINK_DOWN,
    CANCEL
  }
}
