package dev.troupe.examples.echo;

import dev.troupe.client.wire.PayloadCodec;
import java.util.Map;

/**
 * The Echo's messages, one place for the relay, the worker and the CLI (docs/protocol.md, "A worked
 * exchange: the Echo client"): a request to the name {@code relay} on topic {@code echo} with
 * {@code {sender, data, id}}; the worker's {@code echo_response} with {@code {data, worker, id}}; the
 * relay's {@code echo_error} with {@code {id, reason}} when it could not start a worker.
 */
public final class EchoProtocol {
  /** The name the relay registers, and clients send to. */
  public static final String RELAY = "relay";
  public static final String ECHO = "echo";
  public static final String ECHO_RESPONSE = "echo_response";
  public static final String ECHO_ERROR = "echo_error";

  private EchoProtocol() {}

  /** The payload of one line's request. */
  public static Map<String, Object> request(String sender, String line, long id) {
    return Map.of("sender", sender, "data", line, "id", id);
  }

  /** The bytes the request takes as the node counts them against its payload limit. */
  public static long size(Map<String, Object> request) {
    return PayloadCodec.encodedSize(request);
  }
}
