package dev.troupe.bench;

import dev.troupe.api.Pid;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.proto.registry.v1.LookupNameRequest;
import dev.troupe.proto.registry.v1.RegistryServiceGrpc;
import dev.troupe.runtime.grpc.RegistryClient;
import dev.troupe.runtime.registry.DirectoryListener;
import dev.troupe.runtime.registry.NodeRecord;
import io.grpc.ManagedChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a cluster-wide name costs, through the registry's gRPC API as a node calls it: a node joins the
 * registry at {@code --registry}, registers {@code --count} names one after the other (RegisterName,
 * waited for), looks each up with the LookupName RPC (not the node's cache), and releases them. Run
 * once against a registry in memory and once against one on etcd, the same way: {@code --prefix}
 * names the figures ({@code PREFIX register_p50_us}, ...).
 */
final class NameBench {
  private NameBench() {}

  static void run(Args a) throws Exception {
    String registry = a.get("registry");
    String prefix = a.get("prefix", "name_");
    int count = a.getInt("count", a.flag("quick") ? 1000 : 3000);
    // As many rounds again first: both JVMs' code on this path compiled, etcd's first writes done.
    int warmup = count;
    NodeRecord self = new NodeRecord("bench-names-" + ProcessHandle.current().pid(), System.nanoTime(),
        "127.0.0.1:1", List.of("bench:names"));
    try (RegistryClient client = new RegistryClient(registry, RegistryClient.Settings.defaults())) {
      client.join(self, Map.of(), DirectoryListener.DEAF);
      ManagedChannel ch = Channels.open(registry.split(",")[0], ChannelSettings.defaults());
      try {
        var stub = RegistryServiceGrpc.newBlockingStub(ch);
        for (int i = 0; i < warmup; i++) { // connections, JIT, etcd's first writes
          client.register(self, "warm-" + i, Pid.of("bench:names", i + 1)).join();
          stub.withDeadlineAfter(5, TimeUnit.SECONDS).lookupName(LookupNameRequest.newBuilder().setName("warm-" + i).build());
          client.unregister(self, "warm-" + i, Pid.of("bench:names", i + 1)).join();
        }
        Stats.Samples register = new Stats.Samples(count);
        Stats.Samples lookup = new Stats.Samples(count);
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
          long s = System.nanoTime();
          client.register(self, "n-" + i, Pid.of("bench:names", i + 1)).join();
          register.add(System.nanoTime() - s);
        }
        double registerPerS = count / ((System.nanoTime() - t0) / 1e9);
        for (int i = 0; i < count; i++) {
          long s = System.nanoTime();
          stub.withDeadlineAfter(5, TimeUnit.SECONDS).lookupName(LookupNameRequest.newBuilder().setName("n-" + i).build());
          lookup.add(System.nanoTime() - s);
        }
        for (int i = 0; i < count; i++) {
          client.unregister(self, "n-" + i, Pid.of("bench:names", i + 1)).join();
        }
        Stats.result(prefix + "register_p50_us", register.percentile(50) / 1e3);
        Stats.result(prefix + "register_p99_us", register.percentile(99) / 1e3);
        Stats.result(prefix + "register_per_s", registerPerS);
        Stats.result(prefix + "lookup_p50_us", lookup.percentile(50) / 1e3);
        Stats.result(prefix + "lookup_p99_us", lookup.percentile(99) / 1e3);
        Stats.log("%s: %d names registered, looked up and released at %s", prefix, count, registry);
      } finally {
        ch.shutdownNow();
      }
    }
  }
}
