package dev.troupe.registry.observer;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.proto.node.v1.HostInfo;
import dev.troupe.proto.node.v1.ListProcessesRequest;
import dev.troupe.proto.node.v1.ListProcessesResponse;
import dev.troupe.proto.node.v1.NodeAdminServiceGrpc;
import dev.troupe.proto.node.v1.ProcessInfo;
import dev.troupe.runtime.registry.RegistryStore;
import dev.troupe.runtime.registry.NodeRecord;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What the Observer page shows at one moment, as JSON: the live nodes the registry knows (name,
 * incarnation, address, hosts, shard), the names, and what each node says it runs (its processes
 * with their mailboxes, monitors and links, and its hosts' figures, a launcher's pool among them),
 * asked of every node at once with a deadline.
 */
final class TopologySnapshot {
  /** How long a node has to answer ListProcesses before the page shows it as not answering. */
  static final Duration LIST_TIMEOUT = Duration.ofSeconds(2);

  private final RegistryStore directory;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  TopologySnapshot(RegistryStore directory) {
    this.directory = directory;
  }

  JsonObject take() {
    List<NodeRecord> nodes = new ArrayList<>(directory.nodes());
    nodes.sort((a, b) -> a.name().compareTo(b.name()));
    List<CompletableFuture<JsonObject>> listed = nodes.stream()
        .map(n -> CompletableFuture.supplyAsync(() -> describe(n), Thread::startVirtualThread)).toList();
    JsonObject state = new JsonObject();
    state.addProperty("at", System.currentTimeMillis());
    JsonArray out = new JsonArray();
    listed.forEach(f -> out.add(f.join()));
    state.add("nodes", out);
    JsonObject names = new JsonObject();
    directory.names().entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> names.addProperty(e.getKey(), e.getValue().toString()));
    state.add("names", names);
    // Channels to nodes that are gone are closed (a restarted node listens at another address).
    channels.entrySet().removeIf(e -> {
      boolean gone = nodes.stream().noneMatch(n -> n.address().equals(e.getKey()));
      if (gone) {
        e.getValue().shutdownNow();
      }
      return gone;
    });
    return state;
  }

  private JsonObject describe(NodeRecord n) {
    JsonObject node = new JsonObject();
    node.addProperty("name", n.name());
    node.addProperty("incarnation", Long.toHexString(n.incarnation()));
    node.addProperty("address", n.address());
    JsonArray hosts = new JsonArray();
    n.hosts().forEach(hosts::add);
    if (n.shard() != null) {
      node.addProperty("memberOf", n.shard().host());
      node.addProperty("owner", n.shard().owner());
    }
    node.add("hosts", hosts);
    try {
      ListProcessesResponse r = NodeAdminServiceGrpc.newBlockingStub(channel(n.address()))
          .withDeadlineAfter(LIST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .listProcesses(ListProcessesRequest.getDefaultInstance());
      node.addProperty("startedAt", r.getStartedAtUnixMs());
      JsonArray processes = new JsonArray();
      for (ProcessInfo p : r.getProcessesList()) {
        processes.add(process(p));
      }
      node.add("processes", processes);
      JsonObject stats = new JsonObject();
      for (HostInfo h : r.getHostsList()) {
        if (!h.getStatsMap().isEmpty()) {
          JsonObject s = new JsonObject();
          h.getStatsMap().forEach(s::addProperty);
          stats.add(h.getHost(), s);
        }
      }
      node.add("hostStats", stats);
    } catch (StatusRuntimeException e) {
      node.addProperty("error", e.getStatus().getCode() + ": " + e.getStatus().getDescription());
    }
    return node;
  }

  private static JsonObject process(ProcessInfo p) {
    JsonObject o = new JsonObject();
    o.addProperty("pid", p.getPid());
    o.addProperty("entry", p.getEntry());
    o.addProperty("label", p.getLabel());
    o.addProperty("startedAt", p.getStartedAtUnixMs());
    o.addProperty("mailbox", p.getMailbox());
    o.addProperty("trapLinks", p.getTrapLinks());
    o.add("monitoredBy", strings(p.getMonitoredByList()));
    o.add("monitoring", strings(p.getMonitoringList()));
    o.add("links", strings(p.getLinksList()));
    o.add("names", strings(p.getNamesList()));
    return o;
  }

  private static JsonArray strings(List<String> values) {
    JsonArray a = new JsonArray();
    values.forEach(a::add);
    return a;
  }

  ManagedChannel channel(String address) {
    return channels.computeIfAbsent(address, a -> Channels.open(a, ChannelSettings.defaults()));
  }

  void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
