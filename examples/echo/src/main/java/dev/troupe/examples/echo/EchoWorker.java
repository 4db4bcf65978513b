package dev.troupe.examples.echo;

import dev.troupe.api.ProcessContext;
import dev.troupe.api.ProcessEntry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The worker of the Echo tutorial ({@code app:worker}): waits, then sends {@code echo_response} with
 * the data in upper case and its own PID to the sender, and returns 0.
 *
 * <p>Arguments: sender PID, data, and optionally the request id to echo back (so a client can tell a
 * late reply from the one it waits for) and the wait in ms (default 100).
 */
public final class EchoWorker implements ProcessEntry {
  @Override
  public Object main(ProcessContext process, List<Object> args) throws Exception {
    String sender = ProcessContext.string(args, 0);
    String data = String.valueOf(args.size() > 1 ? args.get(1) : "");
    Object id = args.size() > 2 ? args.get(2) : null;
    long delayMs = args.size() > 3 && args.get(3) instanceof Number n ? n.longValue()
        : RelaySettings.DEFAULT_WORKER_DELAY_MS;
    if (delayMs > 0) {
      process.sleep(Duration.ofMillis(delayMs));
    }
    Map<String, Object> response = new HashMap<>();
    response.put("data", data.toUpperCase(Locale.ROOT));
    response.put("worker", process.pid());
    if (id != null) {
      response.put("id", id);
    }
    // Posted: the reply is queued on this process's stream ahead of its exit, so it is never lost to
    // the exit, and the worker does not wait a round trip for an acknowledgement nobody reads.
    process.post(sender, EchoProtocol.ECHO_RESPONSE, response);
    return 0;
  }
}
