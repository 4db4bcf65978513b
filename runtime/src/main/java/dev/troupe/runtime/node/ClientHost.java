package dev.troupe.runtime.node;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.proto.common.v1.Payload;
import java.util.List;

/** A host for attached clients (CLIs, programs in other languages): they get PIDs, nothing is spawned. */
public final class ClientHost implements ProcessHost {
  private final String name;

  public ClientHost(String name) {
    this.name = name;
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
    throw new TroupeException(ErrorCode.FAILED_PRECONDITION,
        "host " + name + " serves attached clients only; spawn " + entry + " on a process host");
  }

  @Override
  public void start(LocalProcess process, String entry, List<Payload> args) {
    throw new IllegalStateException("checkSpawn refuses every spawn");
  }
}
