package dev.troupe.runtime.process;

import dev.troupe.api.Event;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.runtime.node.Node;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@code process.service}: spawns its entry monitored, and when it fails, spawns it again after
 * {@code initialDelay ± jitter} (as the original's supervisor does: constant delay, no exponential
 * growth). A normal exit is final: the service is not restarted.
 */
public final class ServiceSupervisor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceSupervisor.class);

  /**
   * @param initialDelay wait before a restart (default 1 s)
   * @param jitter the delay varies by up to this fraction either way (default 0.1)
   * @param maxAttempts restarts before giving up; 0 = forever (default 0)
   */
  public record RestartPolicy(Duration initialDelay, double jitter, int maxAttempts) {
    public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofSeconds(1);
    public static final double DEFAULT_JITTER = 0.1;

    public static RestartPolicy defaults() {
      return new RestartPolicy(DEFAULT_INITIAL_DELAY, DEFAULT_JITTER, 0);
    }

    Duration nextDelay() {
      double f = 1 + (ThreadLocalRandom.current().nextDouble() * 2 - 1) * jitter;
      return Duration.ofNanos((long) (initialDelay.toNanos() * f));
    }
  }

  private final Node node;
  private final String name;
  private final String entry;
  private final String host;
  private final List<Object> input;
  private final RestartPolicy policy;
  private volatile AttachedProcess control;
  private volatile Thread loop;
  private volatile boolean closed;
  private volatile String current;
  private final CompletableFuture<Void> firstStart = new CompletableFuture<>();

  public ServiceSupervisor(Node node, String name, String entry, String host, List<Object> input,
      RestartPolicy policy) {
    this.node = node;
    this.name = name;
    this.entry = entry;
    this.host = host;
    this.input = input;
    this.policy = policy;
  }

  /**
   * Completes when the service's first instance has been spawned, or the supervisor gave up or was
   * closed first: a launcher reports SERVING only after its services have started.
   */
  public CompletableFuture<Void> firstStart() {
    return firstStart;
  }

  /** The PID of the running instance, or null. */
  public String current() {
    return current;
  }

  public ServiceSupervisor start() {
    control = LocalAttach.attach(node, "", "supervisor " + name);
    loop = Thread.ofVirtual().name("supervisor " + name).start(this::supervise);
    return this;
  }

  private void supervise() {
    try {
      superviseUntilDone();
    } finally {
      firstStart.complete(null);
    }
  }

  private void superviseUntilDone() {
    int attempts = 0;
    while (!closed) {
      String pid;
      try {
        pid = control.spawnMonitored(entry, host, input.toArray());
        current = pid;
        firstStart.complete(null);
        LOG.info("{}: service {} started {} as {}", node.label(), name, entry, pid);
      } catch (TroupeException e) {
        LOG.warn("{}: expected to start service {} ({} on {}), but: {}", node.label(), name, entry,
            host, e.getMessage());
        if (!pause(++attempts)) {
          return;
        }
        continue;
      }
      Event exit = awaitExit(pid);
      current = null;
      if (exit == null) {
        return; // closed
      }
      if (!exit.result().isError()) {
        LOG.info("{}: service {} ({}) exited normally; not restarting", node.label(), name, pid);
        return;
      }
      LOG.warn("{}: service {} ({}) failed: {}; restarting", node.label(), name, pid, exit.result().error());
      if (!pause(++attempts)) {
        return;
      }
    }
  }

  private Event awaitExit(String pid) {
    try {
      while (true) {
        Event e = control.events().receive().value();
        if (e == null) {
          return null;
        }
        if (e.kind() == Event.Kind.EXIT && pid.equals(e.from())) {
          return e;
        }
      }
    } catch (InterruptedException e) {
      return null;
    }
  }

  private boolean pause(int attempts) {
    if (closed || (policy.maxAttempts() > 0 && attempts > policy.maxAttempts())) {
      LOG.error("{}: service {} gave up after {} attempts", node.label(), name, attempts - 1);
      return false;
    }
    try {
      Thread.sleep(policy.nextDelay());
      return !closed;
    } catch (InterruptedException e) {
      return false;
    }
  }

  @Override
  public void close() {
    closed = true;
    Thread t = loop;
    if (t != null) {
      t.interrupt();
    }
    AttachedProcess c = control;
    if (c != null) {
      c.close();
    }
  }
}
