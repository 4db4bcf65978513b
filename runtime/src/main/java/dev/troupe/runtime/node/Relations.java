package dev.troupe.runtime.node;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Frames;
import dev.troupe.proto.common.v1.ErrorKind;
import dev.troupe.proto.common.v1.EventKind;
import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.common.v1.ProcessEvent;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.Terminated;
import dev.troupe.runtime.registry.Directory;
import dev.troupe.runtime.registry.NodeRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Who hears of whose end: monitors, links, terminate and cancel, here or across nodes, and exit
 * propagation. Exit order, as in the original: the process is marked dead, its names are released,
 * then EXIT goes to every monitor and (on an error exit only) LINK_DOWN to every link. A lost node
 * fires the monitors and links across it.
 */
final class Relations {
  private final Directory directory;
  private final ProcessTable table;
  private final Routing routing;
  private final RemoteNodes remote;
  private final List<ProcessObserver> observers;
  private final NodeCounters counters;

  Relations(Directory directory, ProcessTable table, Routing routing, RemoteNodes remote,
      List<ProcessObserver> observers, NodeCounters counters) {
    this.directory = directory;
    this.table = table;
    this.routing = routing;
    this.remote = remote;
    this.observers = observers;
    this.counters = counters;
  }

  // ---------------------------------------------------------------- asked by a local process

  /**
   * The one fork between here and elsewhere: resolves {@code target} and acts on it on this node
   * ({@code here}, which throws to refuse) or asks the node that serves it ({@code there}).
   */
  private CompletableFuture<Void> onTarget(String target, Consumer<Pid> here,
      Function<Pid, CompletableFuture<Void>> there) {
    return routing.resolve(target).thenCompose(t -> {
      if (!table.isLocal(t)) {
        return there.apply(t);
      }
      here.accept(t);
      return Routing.SENT;
    });
  }

  CompletableFuture<Void> monitor(LocalProcess watcher, String target) {
    return onTarget(target, t -> {
      // The watcher's side first: once the target knows its watcher it may exit at any moment,
      // and its EXIT is only delivered while the watcher still lists it as monitored.
      boolean wasMonitoring = watcher.isMonitoring(t);
      watcher.addMonitoring(t);
      try {
        watchLocal(t, watcher.pid());
      } catch (TroupeException ex) {
        if (!wasMonitoring && ex.code() == ErrorCode.NOT_FOUND) {
          watcher.removeMonitoring(t);
        }
        throw ex;
      }
    }, t -> remote.monitor(watcher, t));
  }

  CompletableFuture<Void> unmonitor(LocalProcess watcher, String target) {
    return routing.resolve(target).thenAccept(t -> {
      watcher.removeMonitoring(t);
      forgetWatcher(t, watcher.pid());
    });
  }

  CompletableFuture<Void> link(LocalProcess from, String target) {
    return onTarget(target, t -> {
      if (t.equals(from.pid())) {
        throw TroupeException.invalid("a process cannot link to itself");
      }
      // Our side first, as for monitors: a LINK_DOWN of a target that fails right after linking
      // is only taken while we still list the link.
      boolean wasLinked = from.hasLink(t);
      from.addLink(t);
      try {
        linkLocal(t, from.pid());
      } catch (TroupeException ex) {
        if (!wasLinked) {
          from.removeLink(t);
        }
        throw ex;
      }
    }, t -> remote.link(from, t));
  }

  CompletableFuture<Void> unlink(LocalProcess from, String target) {
    return routing.resolve(target).thenAccept(t -> {
      from.removeLink(t);
      forgetLink(t, from.pid());
    });
  }

  CompletableFuture<Void> terminate(LocalProcess from, String target) {
    return onTarget(target, this::terminateLocal, t -> remote.terminate(from, t));
  }

  CompletableFuture<Void> cancel(LocalProcess from, String target, String reason) {
    return onTarget(target, t -> cancelLocal(t, from.pidText(), reason), t -> remote.cancel(from, t, reason));
  }

  /** {@code watcher} no longer monitors {@code target}: the target's side, wherever it lives. */
  private void forgetWatcher(Pid target, Pid watcher) {
    if (!table.isLocal(target)) {
      remote.unmonitor(watcher, target);
      return;
    }
    LocalProcess tp = table.liveLocal(target);
    if (tp != null) {
      tp.removeWatcher(watcher);
    }
  }

  /** {@code from} is no longer linked to {@code target}: the target's side, wherever it lives. */
  private void forgetLink(Pid target, Pid from) {
    if (!table.isLocal(target)) {
      remote.unlink(from, target);
      return;
    }
    LocalProcess tp = table.liveLocal(target);
    if (tp != null) {
      tp.removeLink(from);
    }
  }

  // ---------------------------------------------------------------- the target's side (also for peers)

  /** Adds {@code watcher} to the monitors of local {@code target}. */
  void watchLocal(Pid target, Pid watcher) {
    LocalProcess tp = table.liveLocal(target);
    int added = tp == null ? -1 : tp.addWatcher(watcher);
    if (added < 0) {
      throw Node.notRegistered(target);
    }
    if (added == 0) {
      throw new TroupeException(ErrorCode.ALREADY_EXISTS, "already monitoring pid " + target);
    }
  }

  /** Adds {@code from} to the links of local {@code target}. */
  void linkLocal(Pid target, Pid from) {
    LocalProcess tp = table.liveLocal(target);
    if (tp == null || !tp.addLink(from)) {
      throw Node.notRegistered(target);
    }
  }

  void terminateLocal(Pid target) {
    LocalProcess tp = table.liveLocal(target);
    if (tp == null) {
      throw Node.notFound(target);
    }
    kill(tp, Frames.error(ErrorKind.ERROR_KIND_TERMINATED, "process terminated"));
  }

  void cancelLocal(Pid target, String from, String reason) {
    LocalProcess tp = table.liveLocal(target);
    if (tp == null) {
      throw Node.notFound(target);
    }
    pushEvent(tp, Frames.cancel(from, reason));
  }

  // ---------------------------------------------------------------- exits

  /**
   * The node ends {@code p} (terminate, untrapped LINK_DOWN, lost node): its runner is told to stop,
   * then the exit is propagated as for any other exit.
   */
  void kill(LocalProcess p, ExitResult result) {
    if (!p.alive()) {
      return;
    }
    p.sink().push(AttachResponse.newBuilder()
        .setTerminated(Terminated.newBuilder().setError(result.getError())).build());
    exit(p, result);
  }

  /** {@code p} ended with {@code result}. Idempotent: only the first exit counts. */
  void exit(LocalProcess p, ExitResult result) {
    LocalProcess.Departure d = p.die();
    if (d == null) {
      return;
    }
    table.remove(p);
    ProcessHost host = table.host(p.pid().host());
    if (host != null) {
      host.onExit(p, result);
    }
    for (ProcessObserver o : observers) {
      o.exited(p, result);
    }
    if (p.holdsNames()) {
      directory.releaseAll(table.self(), p.pid()).whenComplete((names, t) -> propagateExit(p, d, result));
    } else {
      propagateExit(p, d, result);
    }
  }

  private void propagateExit(LocalProcess p, LocalProcess.Departure d, ExitResult result) {
    ProcessEvent exitEvent = Frames.event(EventKind.EVENT_KIND_EXIT, p.pidText(), result);
    for (Pid w : d.watchers()) {
      deliverEvent(w, exitEvent);
    }
    boolean error = result.hasError();
    ProcessEvent linkDown = error
        ? Frames.event(EventKind.EVENT_KIND_LINK_DOWN, p.pidText(), result) : null;
    for (Pid l : d.links()) {
      if (error) {
        deliverEvent(l, linkDown);
      } else {
        forgetLink(l, p.pid());
      }
    }
    for (Pid t : d.monitoring()) {
      forgetWatcher(t, p.pid());
    }
  }

  /** Delivers EXIT / LINK_DOWN / CANCEL to {@code to}, wherever it lives. */
  private void deliverEvent(Pid to, ProcessEvent event) {
    if (!table.isLocal(to)) {
      remote.event(to, event);
      return;
    }
    LocalProcess lp = table.liveLocal(to);
    if (lp != null) {
      acceptEvent(lp, event);
    }
  }

  /**
   * An event reaches a local process. EXIT only while it still monitors the sender (none after
   * unmonitor); LINK_DOWN only while linked, and then it kills unless the process traps links.
   */
  void acceptEvent(LocalProcess lp, ProcessEvent event) {
    switch (event.getKind()) {
      case EVENT_KIND_EXIT -> {
        Pid from = Pid.parse(event.getFrom());
        directory.evict(from); // names before EXIT, also in this node's cache
        if (lp.removeMonitoring(from)) {
          pushEvent(lp, event);
        }
      }
      case EVENT_KIND_LINK_DOWN -> {
        Pid from = Pid.parse(event.getFrom());
        directory.evict(from);
        if (lp.removeLink(from)) {
          linkDown(lp, event);
        }
      }
      default -> pushEvent(lp, event);
    }
  }

  /** Fires, in every local process, the monitors (EXIT) and links (LINK_DOWN) across {@code node}. */
  void fireAcross(NodeRecord node, ExitResult lost) {
    for (LocalProcess lp : table.all()) {
      LocalProcess.Departure d = lp.detachFrom(node::serves);
      for (Pid t : d.monitoring()) {
        pushEvent(lp, Frames.event(EventKind.EVENT_KIND_EXIT, t.toString(), lost));
      }
      for (Pid l : d.links()) {
        linkDown(lp, Frames.event(EventKind.EVENT_KIND_LINK_DOWN, l.toString(), lost));
      }
    }
  }

  private void linkDown(LocalProcess lp, ProcessEvent event) {
    if (lp.trapLinks()) {
      pushEvent(lp, event);
    } else {
      kill(lp, Frames.error(ErrorKind.ERROR_KIND_LINKED_PROCESS_FAILED, "linked process failed"));
    }
  }

  private void pushEvent(LocalProcess lp, ProcessEvent event) {
    lp.sink().push(AttachResponse.newBuilder().setEvent(event).build());
    counters.eventGiven(event);
    for (ProcessObserver o : observers) {
      o.eventGiven(lp, event);
    }
  }
}
