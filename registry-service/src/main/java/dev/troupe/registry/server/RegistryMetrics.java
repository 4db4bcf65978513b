package dev.troupe.registry.server;

import dev.troupe.registry.grpc.RegistryGrpcService;
import dev.troupe.runtime.registry.RegistryStore;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The registry's families, added to its node's metrics: nodes, names, and the name calls it served. */
final class RegistryMetrics {
  private RegistryMetrics() {}

  static void register(PrometheusRegistry registry, RegistryStore directory, RegistryGrpcService service) {
    GaugeWithCallback.builder().name("troupe_registry_nodes").help("Live nodes that joined this registry")
        .callback(cb -> cb.call(directory.nodes().size())).register(registry);
    GaugeWithCallback.builder().name("troupe_registry_names").help("Names registered")
        .callback(cb -> cb.call(directory.names().size())).register(registry);
    CounterWithCallback.builder().name("troupe_registry_name_calls_total")
        .help("Name calls served, by call (register, unregister, release, lookup)").labelNames("call")
        .callback(cb -> service.nameCalls().forEach((call, n) -> cb.call(n, call))).register(registry);
  }
}
