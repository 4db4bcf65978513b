package dev.troupe.runtime.registry;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a node that joined a registry holds to prove who it is ({@link NodeCredentials}): its token
 * from the latest join, and the one before (a peer that has not yet heard of our rejoin of a
 * restarted registry still shows a ticket made with it); the ticket the registry gave us for each
 * peer; and what it shows when it joins as a launcher (a member key) or as a member (its token).
 */
public final class JoinCredentials {
  /** A ticket for one incarnation of a peer. */
  private record Ticket(long incarnation, byte[] ticket) {}

  private volatile byte[] token = new byte[0];
  private volatile byte[] previousToken = new byte[0];
  private final Map<String, Ticket> tickets = new ConcurrentHashMap<>();
  /** Completed when the first join gave this node its token. */
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private volatile byte[] memberKey = new byte[0];
  private volatile byte[] memberToken = new byte[0];

  /** The registry accepted a join and gave this node {@code given}. */
  public void accepted(byte[] given) {
    if (!Arrays.equals(given, token)) {
      previousToken = token;
      token = given;
    }
    ready.complete(null);
  }

  /** The registry's ticket for {@code incarnation} of peer {@code node} (empty: none; ignored). */
  public void keepTicket(String node, long incarnation, byte[] ticket) {
    if (ticket.length > 0) {
      tickets.put(node, new Ticket(incarnation, ticket));
    }
  }

  /** What this node shows {@code peer} at the handshake: its ticket for that incarnation, or none. */
  public byte[] peerTicket(NodeRecord peer) {
    Ticket t = tickets.get(peer.name());
    return t == null || t.incarnation() != peer.incarnation() ? NodeCredentials.none() : t.ticket();
  }

  /** Whether {@code ticket} was made by the registry for {@code claimed} to reach {@code me}. */
  public boolean admits(NodeRecord me, NodeRecord claimed, byte[] ticket) {
    return NodeCredentials.matches(NodeCredentials.ticket(token, claimed, me), ticket)
        || NodeCredentials.matches(NodeCredentials.ticket(previousToken, claimed, me), ticket);
  }

  public boolean ready() {
    return ready.isDone();
  }

  public void whenReady(Runnable then) {
    ready.thenRun(then);
  }

  /** This node's token: it authenticates the node's name changes. */
  public byte[] token() {
    return token;
  }

  public byte[] memberKey() {
    return memberKey;
  }

  /** Joins as a node that forks members, which must show tokens made with {@code key}. */
  public void memberKey(byte[] key) {
    this.memberKey = key.clone();
  }

  public byte[] memberToken() {
    return memberToken;
  }

  /** Joins as a member with the token its owner gave it. */
  public void memberToken(byte[] token) {
    this.memberToken = token.clone();
  }
}
