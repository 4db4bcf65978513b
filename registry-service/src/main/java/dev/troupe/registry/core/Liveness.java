package dev.troupe.registry.core;

import dev.troupe.runtime.registry.NodeRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * When each joined node was last heard from, and which have been silent too long. A paused or
 * partitioned node sends no FIN, so silence is the only sign; any frame on its stream counts as a
 * sign of life, so heavy message load cannot cause a false loss.
 */
public final class Liveness {
  /**
   * Default silence after which a node is declared lost: 2.5 s since its last heartbeat, with
   * heartbeats every 0.5 s and checks every 0.25 s, so a node that stops is declared lost within
   * 3 s of stopping.
   */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(2500);

  private final Duration timeout;
  private final LongSupplier clockMillis;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  /** One join of one node, named by the token it was issued (see RegistryStore). */
  public record Session(NodeRecord node, byte[] token) {}

  private record Entry(Session session, long lastSeenMillis) {}

  public Liveness(Duration timeout, LongSupplier clockMillis) {
    this.timeout = timeout;
    this.clockMillis = clockMillis;
  }

  public Duration timeout() {
    return timeout;
  }

  public void heard(Session session) {
    entries.put(session.node().label(), new Entry(session, clockMillis.getAsLong()));
  }

  /** Stops watching {@code session}; a newer session of the same node (its stream moved) stays watched. */
  public void forget(Session session) {
    entries.computeIfPresent(session.node().label(), (k, e) -> e.session().token() == session.token() ? null : e);
  }

  /** Sessions silent for longer than the timeout; they are forgotten as they are returned. */
  public List<Session> expire() {
    long now = clockMillis.getAsLong();
    List<Session> out = new ArrayList<>();
    entries.values().removeIf(e -> {
      boolean expired = now - e.lastSeenMillis() > timeout.toMillis();
      if (expired) {
        out.add(e.session());
      }
      return expired;
    });
    return out;
  }
}
