package dev.troupe.registry.core;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.runtime.registry.NodeCredentials;
import dev.troupe.runtime.registry.NodeRecord;
import java.util.HashMap;
import java.util.Map;

/**
 * Which nodes may join as members of a launcher's shared host: only the worker JVMs the launcher
 * forked, each proving it with the member token the launcher gave it through a pipe (see
 * {@link NodeCredentials}). Without this, any program that reaches the registry could join as the
 * launcher's next worker JVM and be handed its spawns.
 */
public final class MemberAdmission {
  private record Owner(byte[] key, Map<String, Long> admitted) {}

  private final Map<String, Owner> owners = new HashMap<>();

  /**
   * A node that forks members joined (or rejoined a restarted registry) with its member key. A new
   * key (a new incarnation of the launcher) forgets which member tokens were used: its members are new.
   */
  public synchronized void ownerJoined(String owner, byte[] memberKey) {
    Owner known = owners.get(owner);
    if (known == null || !NodeCredentials.matches(known.key(), memberKey)) {
      owners.put(owner, new Owner(memberKey.clone(), new HashMap<>()));
    }
  }

  /** The owner's stream ended: until it joins again, none of its members may join. */
  public synchronized void ownerGone(String owner, byte[] memberKey) {
    Owner known = owners.get(owner);
    if (known != null && NodeCredentials.matches(known.key(), memberKey)) {
      owners.remove(owner);
    }
  }

  /**
   * Admits {@code member} (a record with a shard) if {@code token} is the one its owner made for its
   * name and no other incarnation of that name used it. The same incarnation may present it again
   * (it rejoins a restarted registry).
   *
   * @throws TroupeException UNAVAILABLE if the owner has not joined (yet), PERMISSION_DENIED if the
   *     token is missing, wrong or used
   */
  public synchronized void admit(NodeRecord member, byte[] token) {
    String ownerName = member.shard().owner();
    Owner owner = owners.get(ownerName);
    if (owner == null) {
      throw new TroupeException(ErrorCode.UNAVAILABLE, "member " + member.label() + " names owner '"
          + ownerName + "', which has not joined the registry (yet); retry once it has");
    }
    if (!NodeCredentials.matches(NodeCredentials.memberToken(owner.key(), member.name()), token)) {
      throw new TroupeException(ErrorCode.PERMISSION_DENIED, "member " + member.label() + " has no valid"
          + " member token from '" + ownerName + "': only a worker JVM its launcher forked may join as one");
    }
    Long used = owner.admitted().putIfAbsent(member.name(), member.incarnation());
    if (used != null && used != member.incarnation()) {
      throw new TroupeException(ErrorCode.PERMISSION_DENIED, "the member token of '" + member.name()
          + "' was used by incarnation " + Long.toHexString(used) + "; a token serves one worker JVM");
    }
  }
}
