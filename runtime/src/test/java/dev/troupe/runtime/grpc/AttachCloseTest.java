package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.Message;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.GrpcAttach;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.testing.TestCluster;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** close() of a client attached over gRPC: what it posted before has reached the node when it returns. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AttachCloseTest {
  private static final int POSTS = 50_000;
  private final TestCluster cluster = new TestCluster(new EntryCatalog().register("test:count", () -> (p, args) -> {
    long n = 0;
    while (true) {
      Message m = p.inbox().receive().value();
      if (m.topic().equals("end")) {
        p.send(m.from(), "count", n);
        return n;
      }
      n++;
    }
  }));

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void everythingPostedBeforeCloseIsDeliveredBeforeAnythingSentAfterIt() throws Exception {
    cluster.startNode("n1");
    AttachedProcess observer = cluster.attachRemote("n1");
    String counter = observer.spawn("test:count", "app:n1");
    AttachedProcess sender = GrpcAttach.attach(cluster.server("n1").address(), "", "sender", Duration.ofSeconds(5));
    for (int i = 0; i < POSTS; i++) {
      sender.post(counter, "n", i);
    }

    long t0 = System.nanoTime();
    sender.close();
    Duration closing = Duration.ofNanos(System.nanoTime() - t0);
    observer.send(counter, "end");

    Message count = observer.inbox().receive(Duration.ofSeconds(30)).orElseThrow().value();
    assertThat(count.payload()).as("posts that reached the counter before 'end'").isEqualTo((long) POSTS);
    assertThat(closing).as("close waits for the node, not for its time limit").isLessThan(AttachedProcess.CLOSE_TIMEOUT);
  }
}
