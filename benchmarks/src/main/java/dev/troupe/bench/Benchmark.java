package dev.troupe.bench;

/**
 * The JVM-wide entry point of the harness; scripts/bench.sh runs one JVM per role:
 *
 * <pre>
 *   grpc-server --port P                     the raw gRPC baseline server (prints READY host:port)
 *   node --name N --host H [--registry R]    a bench node serving the bench entries in-JVM (READY host:port)
 *   messaging --grpc A --node-b B --host-b H [--node-a A2] [--quick]
 *                                            baseline and Troupe rtt/tput, alternating rounds
 *   echo --node REGISTRY_NODE [--quick]      the Echo pattern against the relay
 *   spawn --mode warm|kill|cold|rss --launcher A [--launcher-pid P] [--host H] [--quick]
 *   tutorial --node REGISTRY_NODE [--in-flight N] [--seconds S] [--quick]
 *                                            the tutorial's workload (relay with its 100 ms worker delay)
 *   idle --launcher A --launcher-pid P [--count N] [--quick]
 *                                            RSS growth of the worker JVMs for N idle processes
 *   names --registry A [--prefix P] [--count N] [--quick]
 *                                            cost of RegisterName and LookupName at that registry
 * </pre>
 *
 * Figures are printed as {@code RESULT key=value} lines on stdout; progress goes to stderr.
 */
public final class Benchmark {
  private Benchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: Benchmark grpc-server|node|messaging|echo|spawn|tutorial|idle|names [--options]");
      System.exit(2);
    }
    Args a = new Args(args, 1);
    switch (args[0]) {
      case "grpc-server" -> GrpcBaseline.serve(a);
      case "node" -> BenchNode.run(a);
      case "messaging" -> MessagingBench.run(a);
      case "echo" -> EchoBench.run(a);
      case "spawn" -> SpawnBench.run(a);
      case "tutorial" -> TutorialBench.run(a);
      case "idle" -> IdleBench.run(a);
      case "names" -> NameBench.run(a);
      default -> {
        System.err.println("unknown subcommand " + args[0]);
        System.exit(2);
      }
    }
    System.out.flush();
    if ("normal".equals(System.getProperty("bench.exit"))) {
      System.exit(0); // runs shutdown hooks: a JFR recording is written
    }
    // Clients end deliberately: a JVM that used gRPC's event loops lingers at exit otherwise.
    Runtime.getRuntime().halt(0);
  }
}
