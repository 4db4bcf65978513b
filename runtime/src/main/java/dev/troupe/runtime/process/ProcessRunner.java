package dev.troupe.runtime.process;

import dev.troupe.api.ProcessEntry;
import dev.troupe.api.ProcessFailure;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.wire.PayloadCodec;
import dev.troupe.proto.common.v1.ErrorKind;
import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.common.v1.ProcessError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs assigned processes: each on its own virtual thread, calling the entry's main and reporting its
 * result (or error) to the node. Used by nodes for in-JVM hosts and by worker JVMs.
 */
public final class ProcessRunner {
  private static final Logger LOG = LoggerFactory.getLogger(ProcessRunner.class);
  private final EntryCatalog catalog;

  public ProcessRunner(EntryCatalog catalog) {
    this.catalog = catalog;
  }

  /** Starts {@code p}'s entry on a new virtual thread; returns that thread. */
  public Thread start(AttachedProcess p) {
    return Thread.ofVirtual().name(p.pid()).start(() -> run(p));
  }

  /** Runs {@code p}'s entry on the calling thread until it ends. */
  public void run(AttachedProcess p) {
    p.mainThread(Thread.currentThread());
    ExitResult result;
    try {
      ProcessEntry entry = catalog.create(p.entry());
      Object value = entry.main(p, p.args());
      result = ExitResult.newBuilder().setValue(PayloadCodec.encode(value)).build();
    } catch (InterruptedException e) {
      result = failed("interrupted");
    } catch (ProcessFailure e) {
      result = failed(e.getMessage());
    } catch (TroupeException e) {
      result = failed(e.getMessage());
    } catch (Throwable t) {
      if (!p.hasEnded()) {
        LOG.warn("{}: process {} ({}) failed", p.pid(), p.entry(), p.pid(), t);
      }
      result = failed(t.toString());
    }
    if (p.hasEnded()) {
      return; // the node terminated it, or a coroutine failed it: its exit is already known
    }
    p.exit(result);
  }

  private static ExitResult failed(String message) {
    return ExitResult.newBuilder().setError(ProcessError.newBuilder()
        .setKind(ErrorKind.ERROR_KIND_FAILED).setMessage(String.valueOf(message))).build();
  }
}
