package dev.troupe.client.wire;

import dev.troupe.proto.common.v1.Payload;
import java.util.List;

/**
 * A message for a process as its node routed it, before its payloads are decoded: what a node hands
 * to a process in its own JVM, several at once when they came in one batch.
 *
 * @param from the sender's PID text
 * @param topic the message's topic
 * @param payloads its values as sent
 */
public record Arrival(String from, String topic, List<Payload> payloads) {}
