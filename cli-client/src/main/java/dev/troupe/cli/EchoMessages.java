package dev.troupe.cli;

import dev.troupe.runtime.process.PayloadCodec;
import java.util.Map;

/**
 * The Echo contract as the CLI speaks it (docs/protocol.md, "A worked exchange: the Echo client"): a
 * request to {@code relay} on topic {@code echo} with {@code {sender, data, id}}; the worker's
 * {@code echo_response} with {@code {data, worker, id}}; the relay's {@code echo_error} with
 * {@code {id, reason}} when it could not start a worker.
 */
final class EchoMessages {
  static final String RELAY = "relay";
  static final String ECHO = "echo";
  static final String ECHO_RESPONSE = "echo_response";
  static final String ECHO_ERROR = "echo_error";

  private EchoMessages() {}

  /** The payload of one line's request. */
  static Map<String, Object> request(String sender, String line, long id) {
    return Map.of("sender", sender, "data", line, "id", id);
  }

  /** The bytes the request takes as the node counts them against its payload limit. */
  static long size(Map<String, Object> request) {
    return PayloadCodec.encodedSize(request);
  }
}
