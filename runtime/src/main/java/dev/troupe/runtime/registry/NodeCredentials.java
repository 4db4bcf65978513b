package dev.troupe.runtime.registry;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The credentials that tell one node from another, whatever secret the topology shares (Erlang's
 * cookie makes every holder any node; these do not):
 *
 * <ul>
 *   <li>a <b>node token</b>, random, that the registry gives a node when it joins and shows no one
 *       else; the node proves itself to the registry with it;
 *   <li>a <b>peer ticket</b> that the registry makes for a node A towards a node B, with B's token
 *       over A's record: B checks it with its own token when A opens a peer stream, and so learns
 *       which node A is and what it serves. A ticket proves nothing to a third node, so a node that
 *       was shown one cannot replay it as A;
 *   <li>a <b>member token</b> that a launcher makes for each worker JVM it forks, from a key only it
 *       and the registry know, and hands over through a pipe: the registry admits a member of the
 *       launcher's shared host only with it.
 * </ul>
 */
public final class NodeCredentials {
  /** Bytes of randomness in a token or key. */
  public static final int TOKEN_BYTES = 32;
  private static final byte[] NONE = new byte[0];
  private static final SecureRandom RANDOM = new SecureRandom();

  private NodeCredentials() {}

  /** A new random token (or member key). */
  public static byte[] newToken() {
    byte[] t = new byte[TOKEN_BYTES];
    RANDOM.nextBytes(t);
    return t;
  }

  /** The empty credential: what a node without one shows (and what never verifies). */
  public static byte[] none() {
    return NONE;
  }

  /** The ticket {@code holder} shows {@code peer}, made with the peer's token. */
  public static byte[] ticket(byte[] peerToken, NodeRecord holder, NodeRecord peer) {
    return hmac(peerToken, "troupe-peer-ticket-v1\n" + canonical(holder) + "->" + peer.name() + "#"
        + Long.toHexString(peer.incarnation()));
  }

  /** The token of member {@code memberName}, made with its owner's member key. */
  public static byte[] memberToken(byte[] memberKey, String memberName) {
    return hmac(memberKey, "troupe-member-token-v1\n" + memberName);
  }

  /** Whether {@code given} is the non-empty credential {@code expected}, in time independent of where they differ. */
  public static boolean matches(byte[] expected, byte[] given) {
    return expected != null && given != null && expected.length > 0 && MessageDigest.isEqual(expected, given);
  }

  /**
   * What a ticket vouches for: the node's name and incarnation and what it serves. Not its address,
   * which does not give authority over any PID. Every text is length-prefixed, so that no name can
   * hold a separator that makes two different records read the same (a host "a,b" against the hosts
   * "a" and "b").
   */
  static String canonical(NodeRecord n) {
    List<String> hosts = new ArrayList<>(n.hosts());
    hosts.sort(null);
    StringBuilder b = field(new StringBuilder(), n.name()).append(Long.toHexString(n.incarnation()))
        .append(";hosts=").append(hosts.size()).append(';');
    hosts.forEach(h -> field(b, h));
    Shard s = n.shard();
    if (s != null) {
      field(b.append("shard="), s.host()).append(Long.toHexString(s.firstId())).append(',')
          .append(Long.toHexString(s.endId())).append(';');
      field(b, s.owner()).append(s.dedicated() ? "dedicated;" : "shared;");
    }
    return b.toString();
  }

  private static StringBuilder field(StringBuilder b, String text) {
    return b.append(text.length()).append(':').append(text).append(';');
  }

  private static byte[] hmac(byte[] key, String text) {
    if (key == null || key.length == 0) {
      return NONE;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
