package dev.troupe.api;

import java.util.Optional;

/** Cluster-wide names: one PID per name across the topology; released when the owner exits. */
public interface NameRegistry {
  /**
   * Gives this process {@code name}. Idempotent for the same process.
   *
   * @throws TroupeException ALREADY_EXISTS if another process holds it; INVALID_ARGUMENT if empty,
   *     over 255 bytes or with control characters
   */
  void register(String name);

  /** The PID that holds {@code name}, or empty. */
  Optional<String> lookup(String name);

  /**
   * Releases a name this process holds.
   *
   * @return false if the name was not registered
   * @throws TroupeException PERMISSION_DENIED if another process holds it
   */
  boolean unregister(String name);
}
