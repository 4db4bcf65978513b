package dev.troupe.cli;

import dev.troupe.api.Message;
import dev.troupe.api.TroupeException;
import dev.troupe.api.channel.Channel;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The CLI's process on its node, as the Echo session uses it: the life of one attach stream. A node
 * restart ends it; {@link NodeConnection} then makes a new one, with a new PID.
 */
public interface EchoLink {
  /** This process's PID, e.g. {@code {relay:clients|0x00001}}. */
  String pid();

  /** The node that serves it, e.g. {@code relay}. */
  String node();

  /** The address the CLI attached to it at ({@code --connect}), e.g. {@code 127.0.0.1:7402}. */
  String address();

  /** What the CLI is attached to, for the user: {@code node relay at 127.0.0.1:7402}. */
  default String where() {
    return "node " + node() + " at " + address();
  }

  /** The most bytes the payloads of one message may take on this node (attach's max_payload_bytes). */
  int maxPayloadBytes();

  /**
   * Whether a process holds the name {@code relay} now.
   *
   * @throws TroupeException when the node cannot answer (the link may have ended)
   */
  boolean relayRegistered();

  /**
   * Sends {@code payload} to {@code relay} on topic {@code echo}; returns once the node accepted it.
   *
   * @throws TroupeException the node's refusal: its code and typed detail (see {@link SendErrors})
   */
  void sendEcho(Map<String, Object> payload);

  /** The messages for this process; closed when the link ends. */
  Channel<Message> inbox();

  /** Whether the link has ended (its stream closed, or its node ended the process). */
  boolean hasEnded();

  /** Completes with the reason when the link ends, whoever ended it. */
  CompletableFuture<String> ended();

  /** Ends the process normally and closes the stream. */
  void close();

  /** Makes a link: attaches a new process to the node. */
  @FunctionalInterface
  interface Attacher {
    /** @throws TroupeException when the node cannot be reached or refuses the attach */
    EchoLink attach();
  }
}
