package dev.troupe.runtime.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.Event;
import dev.troupe.api.Message;
import dev.troupe.client.AttachedProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One sender's flood into a {@code test:collect} process, and what the collector saw. */
public final class Floods {
  private Floods() {}

  /**
   * Spawns a collector of {@code count} messages on {@code host}, posts it 0 .. count-1 from
   * {@code client} as fast as the client goes, and returns what it collected: {@code values} in
   * arrival order, {@code senders} the distinct senders.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> postNumbers(AttachedProcess client, String host, int count) throws Exception {
    String collector = client.spawn("test:collect", host, client.pid(), count);
    Message ready = client.inbox().receive(Duration.ofSeconds(10)).orElseThrow().value();
    assertThat(ready.topic()).isEqualTo("ready");
    client.monitor(collector);

    for (int i = 0; i < count; i++) {
      client.post(collector, "n", (long) i);
    }

    Event exit = client.events().receive(Duration.ofSeconds(30)).orElseThrow().value();
    assertThat(exit.kind()).isEqualTo(Event.Kind.EXIT);
    return (Map<String, Object>) exit.result().value();
  }

  /** 0 .. n-1 as the collector reports them. */
  public static List<Long> numbers(int n) {
    List<Long> l = new ArrayList<>(n);
    for (long i = 0; i < n; i++) {
      l.add(i);
    }
    return l;
  }
}
