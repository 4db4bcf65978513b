package dev.troupe.runtime.node;

import dev.troupe.client.wire.PayloadCodec;
import java.time.Duration;

/**
 * The settings of a node. Every limit and timeout has a named default here and in docs/configuration.md.
 *
 * @param name the node's name, unique in the topology (e.g. "launcher")
 * @param defaultClientHost the host attached clients get a PID on when their hello names none
 * @param maxPayloadBytes largest serialized payload list of one message; larger gets RESOURCE_EXHAUSTED
 * @param maxMailbox most frames queued for one process before sends to it get RESOURCE_EXHAUSTED
 * @param requestTimeout how long a node waits for a peer to answer a request (spawn, monitor, ...)
 * @param memberLossWait when the stream to a launcher's worker JVM breaks, how long the node waits for
 *     the directory to report it lost with the cause (the signal) before its monitors fire anyway
 * @param memberRefusalBackoff how long a worker JVM that refused a spawn for want of room is left out
 *     of this node's placement
 * @param heapLimitPercent above this share of its heap in use after collection, the node takes no new
 *     process ({@link HeapGuard}); 100: never refuses
 */
public record NodeConfig(
    String name,
    String defaultClientHost,
    int maxPayloadBytes,
    int maxMailbox,
    Duration requestTimeout,
    Duration memberLossWait,
    Duration memberRefusalBackoff,
    int heapLimitPercent) {

  public static final int DEFAULT_MAX_PAYLOAD_BYTES = PayloadCodec.DEFAULT_MAX_PAYLOAD_BYTES;
  public static final int DEFAULT_MAX_MAILBOX = 100_000;
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_MEMBER_LOSS_WAIT = Duration.ofMillis(1000);
  public static final Duration DEFAULT_MEMBER_REFUSAL_BACKOFF = Duration.ofMillis(1000);

  public NodeConfig {
    if (name == null || name.isBlank() || name.contains("@") || name.contains("|")) {
      throw new IllegalArgumentException("node name must be non-empty without '@' or '|': " + name);
    }
    if (maxPayloadBytes <= 0 || maxMailbox <= 0) {
      throw new IllegalArgumentException("limits must be positive");
    }
    if (heapLimitPercent < 1 || heapLimitPercent > 100) {
      throw new IllegalArgumentException("the heap limit is a percentage from 1 to 100 (100: off); got "
          + heapLimitPercent);
    }
  }

  public static NodeConfig defaults(String name) {
    return new NodeConfig(name, "app:clients", DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_MAX_MAILBOX,
        DEFAULT_REQUEST_TIMEOUT, DEFAULT_MEMBER_LOSS_WAIT, DEFAULT_MEMBER_REFUSAL_BACKOFF,
        HeapGuard.DEFAULT_LIMIT_PERCENT);
  }

  public NodeConfig withDefaultClientHost(String host) {
    return new NodeConfig(name, host, maxPayloadBytes, maxMailbox, requestTimeout, memberLossWait,
        memberRefusalBackoff, heapLimitPercent);
  }

  public NodeConfig withMaxPayloadBytes(int bytes) {
    return new NodeConfig(name, defaultClientHost, bytes, maxMailbox, requestTimeout, memberLossWait,
        memberRefusalBackoff, heapLimitPercent);
  }

  public NodeConfig withMaxMailbox(int frames) {
    return new NodeConfig(name, defaultClientHost, maxPayloadBytes, frames, requestTimeout, memberLossWait,
        memberRefusalBackoff, heapLimitPercent);
  }

  public NodeConfig withMemberLossWait(Duration wait) {
    return new NodeConfig(name, defaultClientHost, maxPayloadBytes, maxMailbox, requestTimeout, wait,
        memberRefusalBackoff, heapLimitPercent);
  }

  public NodeConfig withHeapLimitPercent(int percent) {
    return new NodeConfig(name, defaultClientHost, maxPayloadBytes, maxMailbox, requestTimeout, memberLossWait,
        memberRefusalBackoff, percent);
  }
}
