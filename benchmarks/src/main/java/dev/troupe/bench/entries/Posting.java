package dev.troupe.bench.entries;

import dev.troupe.api.ProcessContext;
import dev.troupe.client.AttachedProcess;

/** Fire-and-forget sends where the runtime offers them ({@link AttachedProcess#post}). */
final class Posting {
  private Posting() {}

  static void post(ProcessContext p, String to, String topic, Object... payloads) {
    if (p instanceof AttachedProcess ap) {
      ap.post(to, topic, payloads);
    } else {
      p.send(to, topic, payloads);
    }
  }
}
