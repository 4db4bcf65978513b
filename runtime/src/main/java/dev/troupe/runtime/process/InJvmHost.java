package dev.troupe.runtime.process;

import dev.troupe.client.AttachConnection;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.runtime.node.AttachSession;
import dev.troupe.runtime.node.BufferingSink;
import dev.troupe.runtime.node.LocalProcess;
import dev.troupe.runtime.node.Node;
import dev.troupe.runtime.node.ProcessHost;
import java.util.List;
import java.util.function.Supplier;

/**
 * A host whose processes run in the node's own JVM, each on a virtual thread, speaking the attach
 * protocol over a direct link. Cheap and fast; no isolation from the node (use a launcher host for
 * that).
 */
public final class InJvmHost implements ProcessHost {
  private final String name;
  private final EntryCatalog catalog;
  private final ProcessRunner runner;
  private final Supplier<Node> node;

  /** @param node the node serving this host (supplied late: the node is built with its hosts) */
  public InJvmHost(String name, EntryCatalog catalog, Supplier<Node> node) {
    this.name = name;
    this.catalog = catalog;
    this.runner = new ProcessRunner(catalog);
    this.node = node;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean acceptsAttach() {
    return true;
  }

  @Override
  public void checkSpawn(String entry) {
    catalog.create(entry); // NOT_FOUND for an unknown entry, before a PID is used
  }

  @Override
  public void start(LocalProcess process, String entry, List<Payload> args) {
    AttachConnection conn = new AttachConnection(AttachConnection.DEFAULT_REQUEST_TIMEOUT);
    conn.onAssigned(runner::start);
    AttachSession session = LocalAttach.connect(node.get(), conn);
    session.assign(process, entry, args);
    ((BufferingSink) process.sink()).connect(session.sink());
  }
}
