package dev.troupe.cli;

import dev.troupe.api.TroupeException;
import dev.troupe.api.channel.Channel;
import java.time.Duration;

/**
 * The CLI's attachment to its node, kept across the node's restarts: when the attach stream ends (the
 * node was killed, restarted or stopped) it tells its {@link Listener} once, attaches again with
 * backoff ({@link ReattachPolicy}), and hands out the new link (a new PID) to whoever waits for it;
 * or, after the policy's time, gives up for good.
 *
 * <p>The first attach is not retried: a node that cannot be reached when the CLI starts is reported
 * at once, so that a wrong address or a stopped topology is said plainly.
 */
public final class NodeConnection implements AutoCloseable {

  /** What happens to the connection, for the user to see. Called on a thread of the connection's own. */
  public interface Listener {
    /** The link ended for {@code reason}; re-attaching starts now. */
    void lost(EchoLink old, String reason);

    /** Attached again after {@code outage}, as a new process. */
    void restored(EchoLink old, EchoLink now, Duration outage);

    /** No attempt succeeded within the policy's time; {@code lastError} says why the last one failed. */
    void gaveUp(EchoLink old, Duration outage, String lastError);
  }

  private final EchoLink.Attacher attacher;
  private final ReattachPolicy policy;
  private final Listener listener;
  private final Object lock = new Object();
  /** Closed when the connection is over (given up or closed): a case for a select. */
  private final Channel<Void> over = Channel.unbuffered();
  private EchoLink link; // null while re-attaching
  private boolean gaveUp;
  private boolean closed;

  private NodeConnection(EchoLink.Attacher attacher, ReattachPolicy policy, Listener listener) {
    this.attacher = attacher;
    this.policy = policy;
    this.listener = listener;
  }

  /**
   * Attaches for the first time.
   *
   * @throws TroupeException when the node cannot be reached or refuses the attach
   */
  public static NodeConnection open(EchoLink.Attacher attacher, ReattachPolicy policy, Listener listener) {
    NodeConnection c = new NodeConnection(attacher, policy, listener);
    c.install(attacher.attach());
    return c;
  }

  /**
   * The live link, waiting while the connection re-attaches; null once it gave up or was closed.
   * Never returns a link that has ended.
   */
  public EchoLink awaitLink() throws InterruptedException {
    synchronized (lock) {
      while (!gaveUp && !closed && (link == null || link.hasEnded())) {
        // An ended link is replaced as soon as its end is noticed (a moment after hasEnded turns true).
        lock.wait(50);
      }
      return gaveUp || closed ? null : link;
    }
  }

  /** Whether re-attaching gave up: the CLI has no node any more. */
  public boolean hasGivenUp() {
    synchronized (lock) {
      return gaveUp;
    }
  }

  /** A channel closed when the connection is over (given up or closed): to select on with other work. */
  public Channel<Void> overSignal() {
    return over;
  }

  /** Ends the current process normally; no re-attach follows. */
  @Override
  public void close() {
    EchoLink l;
    synchronized (lock) {
      closed = true;
      l = link;
      link = null;
      lock.notifyAll();
    }
    over.close();
    if (l != null) {
      l.close();
    }
  }

  private void install(EchoLink fresh) {
    synchronized (lock) {
      if (closed) {
        fresh.close();
        return;
      }
      link = fresh;
      lock.notifyAll();
    }
    fresh.ended().whenComplete((reason, t) -> ended(fresh, reason != null ? reason : String.valueOf(t)));
  }

  private void ended(EchoLink old, String reason) {
    synchronized (lock) {
      if (closed || link != old) {
        return; // closed by us, or an old link
      }
      link = null;
    }
    long lostAt = System.nanoTime();
    // Not on the thread that ended the link (a gRPC thread): the listener prints, the loop sleeps.
    Thread.ofVirtual().name("cli-reattach").start(() -> {
      listener.lost(old, reason);
      reattach(old, lostAt);
    });
  }

  private void reattach(EchoLink old, long lostAt) {
    String lastError = "";
    for (int attempt = 0; ; attempt++) {
      synchronized (lock) {
        if (closed) {
          return;
        }
      }
      try {
        EchoLink fresh = attacher.attach();
        listener.restored(old, fresh, since(lostAt));
        install(fresh);
        return;
      } catch (TroupeException e) {
        lastError = e.getMessage();
      }
      Duration left = policy.giveUpAfter().minus(since(lostAt));
      if (left.isNegative() || left.isZero()) {
        giveUp(old, lostAt, lastError);
        return;
      }
      Duration pause = policy.delay(attempt);
      try {
        Thread.sleep(pause.compareTo(left) < 0 ? pause : left);
      } catch (InterruptedException e) {
        giveUp(old, lostAt, "interrupted");
        return;
      }
    }
  }

  private void giveUp(EchoLink old, long lostAt, String lastError) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      gaveUp = true;
      lock.notifyAll();
    }
    listener.gaveUp(old, since(lostAt), lastError);
    over.close();
  }

  private static Duration since(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos);
  }
}
