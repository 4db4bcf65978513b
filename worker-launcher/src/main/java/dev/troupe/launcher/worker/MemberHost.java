package dev.troupe.launcher.worker;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.runtime.node.LocalProcess;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.ProcessHost;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.process.InJvmHost;
import dev.troupe.runtime.registry.NodeRecord;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A worker JVM's part of a shared host: its processes run here, in this JVM, each on its own virtual
 * thread with its own mailbox, up to {@code maxProcesses} at once. What must not share this JVM goes to
 * the launcher that owns it: an {@code isolation: jvm} entry on a shared member, and on a dedicated
 * member every spawn but the one its launcher placed here.
 */
public final class MemberHost implements ProcessHost {
  private final InJvmHost runner;
  private final EntryCatalog catalog;
  private final Set<String> isolated;
  private final boolean dedicated;
  private final String owner;
  private final int maxProcesses;
  private final Supplier<Node> node;

  public MemberHost(String host, EntryCatalog catalog, Set<String> isolated, boolean dedicated, String owner,
      int maxProcesses, Supplier<Node> node) {
    this.runner = new InJvmHost(host, catalog, node);
    this.catalog = catalog;
    this.isolated = Set.copyOf(isolated);
    this.dedicated = dedicated;
    this.owner = owner;
    this.maxProcesses = maxProcesses;
    this.node = node;
  }

  @Override
  public String name() {
    return runner.name();
  }

  @Override
  public boolean acceptsAttach() {
    return false;
  }

  @Override
  public CompletableFuture<NodeRecord> placeElsewhere(String entry, String fromNode, List<String> fullNodes) {
    boolean runsHere = dedicated ? owner.equals(fromNode) : !isolated.contains(entry);
    if (runsHere) {
      return null;
    }
    return node.get().directory().node(owner).map(CompletableFuture::completedFuture)
        .orElseGet(() -> CompletableFuture.failedFuture(new TroupeException(ErrorCode.UNAVAILABLE,
            "entry '" + entry + "' needs a worker JVM of its own, but launcher " + owner
                + " is not live; retry when it is back")));
  }

  @Override
  public void checkSpawn(String entry) {
    if (!catalog.contains(entry)) {
      catalog.create(entry); // NOT_FOUND, with the known entries
    }
    if (node.get().processCount() >= maxProcesses) {
      throw new TroupeException(ErrorCode.RESOURCE_EXHAUSTED, "worker JVM " + node.get().config().name()
          + " hosts " + maxProcesses + " processes, its limit (--max-processes-per-jvm)");
    }
  }

  @Override
  public void start(LocalProcess process, String entry, List<Payload> args) {
    runner.start(process, entry, args);
  }
}
