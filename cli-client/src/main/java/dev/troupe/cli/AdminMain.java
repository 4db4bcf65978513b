package dev.troupe.cli;

import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.proto.registry.v1.GetStatusRequest;
import dev.troupe.proto.registry.v1.GetStatusResponse;
import dev.troupe.proto.registry.v1.NameRecord;
import dev.troupe.proto.registry.v1.NodeRecord;
import dev.troupe.proto.registry.v1.RegistryServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/** Operator commands the scripts use: {@code health} and {@code status}. */
@Command(name = "troupe-admin", mixinStandardHelpOptions = true,
    subcommands = {AdminMain.Health.class, AdminMain.Status.class, AdminMain.Watch.class},
    description = "Inspect a Troupe topology.")
public final class AdminMain implements Callable<Integer> {
  static final PrintStream OUT = System.out;
  /**
   * grpc-java's own java.util.logging warnings (e.g. a name that does not resolve, with its stack
   * trace) are silenced: every failure is reported in one line by the command itself. Held here so
   * that the setting is not collected with the logger.
   */
  private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

  @Override
  public Integer call() {
    new CommandLine(this).usage(OUT);
    return 2;
  }

  /** Waits until a node reports SERVING on grpc.health.v1. Exit 0 when it does, 1 on timeout. */
  @Command(name = "health", description = "Wait until the node at ADDRESS reports SERVING.")
  static final class Health implements Callable<Integer> {
    @Parameters(paramLabel = "ADDRESS", description = "host:port")
    String address;

    @Option(names = "--wait-ms", defaultValue = "0", description = "Keep trying this long (default: one try).")
    long waitMs;

    @Override
    public Integer call() throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
      ManagedChannel ch = Channels.open(address, ChannelSettings.defaults());
      try {
        String last = "no answer";
        do {
          try {
            HealthCheckResponse r = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(1, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance());
            if (r.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
              return 0;
            }
            last = r.getStatus().toString();
          } catch (StatusRuntimeException e) {
            last = e.getStatus().getCode().toString();
          }
          Thread.sleep(100); // poll interval while a starting service binds its port
        } while (System.nanoTime() < deadline);
        System.err.println("troupe-admin: " + address + " is not SERVING (" + last + ")");
        return 1;
      } finally {
        ch.shutdownNow();
      }
    }
  }

  /** Lists nodes, their hosts and the registered names. */
  @Command(name = "status", description = "List the nodes, hosts and names the registry knows.")
  static final class Status implements Callable<Integer> {
    @Option(names = "--registry", defaultValue = "127.0.0.1:7400",
        description = "Registry address, or several replicas' comma-separated: the first that answers is asked"
            + " (default: ${DEFAULT-VALUE}).")
    String registry;

    /** The status from the first replica in {@link #registry} that answers. */
    private GetStatusResponse ask() {
      StatusRuntimeException last = null;
      for (String address : registry.split(",")) {
        ManagedChannel ch = Channels.open(address.strip(), ChannelSettings.defaults());
        try {
          return RegistryServiceGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
              .getStatus(GetStatusRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
          last = e;
        } finally {
          ch.shutdownNow();
        }
      }
      throw last;
    }

    @Override
    public Integer call() {
      try {
        GetStatusResponse s = ask();
        if (!s.getAnsweredBy().isEmpty()) {
          OUT.println("registry: " + s.getAnsweredBy() + " (directory: " + s.getStore() + ")");
        }
        OUT.println("nodes:");
        for (NodeRecord n : s.getNodesList()) {
          String shard = !n.hasShard() ? "" : (n.getHostsCount() > 0 ? ", " : "") + n.getShard().getHost()
              + " ids " + dev.troupe.api.Pid.formatId(n.getShard().getFirstId()) + ".."
              + dev.troupe.api.Pid.formatId(n.getShard().getEndId() - 1)
              + " (worker JVM of " + n.getShard().getOwner() + (n.getShard().getDedicated() ? ", isolated" : "") + ")";
          OUT.printf("  %-11s %-21s incarnation %016x  hosts %s%s%n", n.getNode(), n.getAddress(),
              n.getIncarnation(), String.join(", ", n.getHostsList()), shard);
        }
        OUT.println("names:");
        for (NameRecord n : s.getNamesList()) {
          OUT.printf("  %-20s %s%n", n.getName(), n.getPid());
        }
        for (NodeRecord n : s.getNodesList()) {
          listProcesses(n);
        }
        return 0;
      } catch (StatusRuntimeException e) {
        System.err.println("troupe-admin: the registry at " + registry + " did not answer (" + reason(e)
            + ")" + hint(e));
        return 1;
      }
    }
  }

  private static void listProcesses(NodeRecord n) {
    ManagedChannel ch = Channels.open(n.getAddress(), ChannelSettings.defaults());
    try {
      var r = dev.troupe.proto.node.v1.NodeAdminServiceGrpc.newBlockingStub(ch)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .listProcesses(dev.troupe.proto.node.v1.ListProcessesRequest.getDefaultInstance());
      OUT.printf("processes on %s (%d):%n", n.getNode(), r.getProcessesCount());
      for (var p : r.getProcessesList()) {
        OUT.printf("  %-26s %s%n", p.getPid(), p.getEntry().isEmpty() ? "(client " + p.getLabel() + ")" : p.getEntry());
      }
      for (var h : r.getHostsList()) {
        if (h.getStatsCount() > 0) {
          OUT.printf("  host %s: %s%n", h.getHost(), new java.util.TreeMap<>(h.getStatsMap()));
        }
      }
    } catch (StatusRuntimeException e) {
      OUT.printf("processes on %s: unavailable (%s)%n", n.getNode(), e.getStatus().getCode());
    } finally {
      ch.shutdownNow();
    }
  }

  /** Follows one process: its state, then its EXIT with the cause. Exit code 0 after the EXIT. */
  @Command(name = "watch", description = "Show a process's state, then its EXIT with the cause.")
  static final class Watch implements Callable<Integer> {
    @Parameters(paramLabel = "PID", description = "e.g. {app:processes|0x00004}")
    String pid;

    @Option(names = "--node", defaultValue = "127.0.0.1:7400", description = "Node to ask (default: ${DEFAULT-VALUE}).")
    String node;

    @Override
    public Integer call() {
      ManagedChannel ch = Channels.open(node, ChannelSettings.defaults());
      try {
        var it = dev.troupe.proto.node.v1.WatchServiceGrpc.newBlockingStub(ch).watchProcess(
            dev.troupe.proto.node.v1.WatchProcessRequest.newBuilder().setPid(pid).build());
        while (it.hasNext()) {
          var u = it.next();
          if (u.hasExit()) {
            var e = u.getExit();
            String how = e.getResult().hasError()
                ? "error: " + e.getResult().getError().getMessage()
                : "normal, value " + dev.troupe.client.wire.PayloadCodec.decode(e.getResult().getValue());
            OUT.println(pid + " EXIT (" + how + ")");
          } else {
            OUT.println(pid + " " + u.getState().name().replace("PROCESS_STATE_", ""));
          }
          OUT.flush();
        }
        return 0;
      } catch (StatusRuntimeException e) {
        String where = e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE
            ? "the node at " + node + " did not answer (" + reason(e) + ")" + hint(e)
            : reason(e);
        System.err.println("troupe-admin: cannot watch " + pid + ": " + where);
        return 1;
      } finally {
        ch.shutdownNow();
      }
    }
  }

  /**
   * Why a call failed, in one line: the status code and what it says, or for a connection that
   * could not be made, the reason from the socket (e.g. "UNAVAILABLE: Connection refused"), never the
   * cause's stack trace that {@code Status.toString()} carries.
   */
  static String reason(StatusRuntimeException e) {
    io.grpc.Status s = e.getStatus();
    Throwable root = s.getCause();
    while (root != null && root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String why;
    if (root != null) {
      String m = root.getMessage();
      // netty's "finishConnect(..) failed with error(-111): Connection refused": the part after the colon
      why = m == null || m.isBlank() ? root.getClass().getSimpleName() : m.substring(m.lastIndexOf(": ") + 1).trim();
    } else {
      why = s.getDescription() == null ? "" : s.getDescription();
    }
    why = why.lines().findFirst().orElse("");
    return s.getCode() + (why.isEmpty() ? "" : ": " + why);
  }

  /** What to do when nothing answers at an address. */
  private static String hint(StatusRuntimeException e) {
    return e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE
        ? "; is the topology up? (scripts/troupe up starts it)" : "";
  }

  public static void main(String[] args) {
    GRPC_LOG.setLevel(java.util.logging.Level.OFF);
    int code = new CommandLine(new AdminMain()).execute(args);
    System.out.flush();
    Runtime.getRuntime().halt(code);
  }
}
