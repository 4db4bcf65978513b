package dev.troupe.runtime.testing;

/**
 * Where the processes of a semantics test run. The test drives them from a client process attached to
 * node n1; the processes under test run on {@link #far} ("app:n1" or "app:n2"), and process-to-process
 * scenarios put one side on {@link #near} ("app:n1") and the other on {@link #far}.
 */
public enum Setup {
  /** One node: the client attached in-JVM, every process on app:n1. */
  ONE_NODE(false, false),
  /** One node: the client attached over gRPC, every process on app:n1. */
  ONE_NODE_GRPC(true, false),
  /** Two nodes: the client attached to n1 over gRPC, the processes under test on app:n2. */
  TWO_NODES(true, true);

  private final boolean grpcClient;
  private final boolean twoNodes;

  Setup(boolean grpcClient, boolean twoNodes) {
    this.grpcClient = grpcClient;
    this.twoNodes = twoNodes;
  }

  public boolean grpcClient() {
    return grpcClient;
  }

  public boolean twoNodes() {
    return twoNodes;
  }

  /** The host of the client's node. */
  public String near() {
    return "app:n1";
  }

  /** The host the processes under test run on. */
  public String far() {
    return twoNodes ? "app:n2" : "app:n1";
  }
}
