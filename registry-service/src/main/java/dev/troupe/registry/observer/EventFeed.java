package dev.troupe.registry.observer;

import com.google.gson.JsonObject;
import dev.troupe.client.wire.Frames;
import dev.troupe.proto.common.v1.ProcessEvent;
import dev.troupe.proto.node.v1.WatchHostRequest;
import dev.troupe.proto.node.v1.WatchHostResponse;
import dev.troupe.proto.node.v1.WatchServiceGrpc;
import dev.troupe.runtime.registry.RegistryStore;
import dev.troupe.runtime.registry.NodeRecord;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live feed of the Observer: every spawn and EXIT (with its cause) on every host of every live
 * node, from a WatchHost stream per host, pushed to each open page. A page that cannot keep up loses
 * the oldest events it has not taken (its queue is bounded) and is told how many.
 */
final class EventFeed {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EventFeed.class);
  /** How often the feed looks for nodes (and hosts) it does not watch yet. */
  static final Duration RESCAN = Duration.ofSeconds(1);
  /** Events kept for one page that has not read them. */
  static final int PAGE_QUEUE = 1000;

  /** One open page's queue. */
  static final class Subscriber {
    final BlockingQueue<String> events = new ArrayBlockingQueue<>(PAGE_QUEUE);
    final AtomicLong dropped = new AtomicLong();
  }

  private final RegistryStore directory;
  private final TopologySnapshot channels;
  private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
  private final Map<String, Context.CancellableContext> watches = new ConcurrentHashMap<>();
  private final ScheduledExecutorService scanner = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "observer-feed");
    t.setDaemon(true);
    return t;
  });

  EventFeed(RegistryStore directory, TopologySnapshot channels) {
    this.directory = directory;
    this.channels = channels;
  }

  void start() {
    scanner.scheduleWithFixedDelay(this::rescan, 0, RESCAN.toMillis(), TimeUnit.MILLISECONDS);
  }

  Subscriber subscribe() {
    Subscriber s = new Subscriber();
    subscribers.add(s);
    return s;
  }

  void unsubscribe(Subscriber s) {
    subscribers.remove(s);
  }

  private void rescan() {
    try {
      watchNewHosts();
    } catch (RuntimeException e) {
      // A failed scan must not end the schedule (an exception would): the next one tries again.
      LOG.warn("observer: expected to watch every host, but: {}", e.toString());
    }
  }

  private void watchNewHosts() {
    for (NodeRecord n : directory.nodes()) {
      for (String host : n.hosts()) {
        String key = n.label() + "/" + host;
        if (!watches.containsKey(key)) {
          watch(key, n, host);
        }
      }
    }
  }

  private void watch(String key, NodeRecord node, String host) {
    Context.CancellableContext ctx = Context.ROOT.withCancellation();
    watches.put(key, ctx);
    ctx.run(() -> WatchServiceGrpc.newStub(channels.channel(node.address()))
        .watchHost(WatchHostRequest.newBuilder().setHost(host).build(), new StreamObserver<>() {
          @Override
          public void onNext(WatchHostResponse r) {
            publish(event(node, host, r));
          }

          @Override
          public void onError(Throwable t) {
            LOG.debug("observer: watch of {} ended: {}", key, io.grpc.Status.fromThrowable(t));
            ended();
          }

          @Override
          public void onCompleted() {
            ended();
          }

          private void ended() {
            // Watched again at the next scan while the node is live.
            watches.remove(key, ctx);
            ctx.cancel(null);
          }
        }));
  }

  static JsonObject event(NodeRecord node, String host, WatchHostResponse r) {
    JsonObject o = new JsonObject();
    o.addProperty("node", node.name());
    o.addProperty("host", host);
    if (r.hasLinkDown()) {
      ProcessEvent e = r.getLinkDown().getEvent();
      o.addProperty("type", "link_down");
      o.addProperty("pid", r.getLinkDown().getPid());
      o.addProperty("from", e.getFrom());
      o.addProperty("at", e.getAtUnixMs());
      o.addProperty("kind", Frames.kindName(e.getResult()));
      o.addProperty("reason", e.getResult().getError().getMessage());
    } else if (r.hasStarted()) {
      o.addProperty("type", "spawn");
      o.addProperty("pid", r.getStarted().getPid());
      o.addProperty("entry", r.getStarted().getEntry());
      o.addProperty("at", r.getStarted().getAtUnixMs());
    } else {
      ProcessEvent e = r.getExit();
      o.addProperty("type", Frames.name(e.getKind()));
      o.addProperty("pid", e.getFrom());
      o.addProperty("at", e.getAtUnixMs());
      o.addProperty("kind", Frames.kindName(e.getResult()));
      if (e.getResult().hasError()) {
        o.addProperty("reason", e.getResult().getError().getMessage());
      }
    }
    return o;
  }

  private void publish(JsonObject event) {
    String json = event.toString();
    for (Subscriber s : subscribers) {
      while (!s.events.offer(json)) {
        if (s.events.poll() != null) {
          s.dropped.incrementAndGet();
        }
      }
    }
  }

  void close() {
    scanner.shutdownNow();
    watches.values().forEach(c -> c.cancel(null));
    watches.clear();
  }
}
