package dev.troupe.api;

import java.util.List;

/**
 * A received message in message mode: who sent it, on which topic, and its payloads.
 *
 * @param from the sender's PID text, stamped by its node; "" when there is no sender
 * @param topic the topic it was sent with
 * @param payloads the values sent (maps, lists, strings, numbers, booleans, null, byte[])
 */
public record Message(String from, String topic, List<Object> payloads) {

  /** The payload as the original's raw mode gives it: null for none, the value for one, else the list. */
  public Object payload() {
    return switch (payloads.size()) {
      case 0 -> null;
      case 1 -> payloads.get(0);
      default -> payloads;
    };
  }
}
