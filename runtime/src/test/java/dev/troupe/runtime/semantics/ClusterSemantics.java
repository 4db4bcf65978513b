package dev.troupe.runtime.semantics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Event;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.runtime.testing.Driver;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.Setup;
import dev.troupe.runtime.testing.TestCluster;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;

/**
 * Base of the semantics tests that run in every {@link Setup}: a fresh cluster per test, a client
 * attached to n1 (in-JVM or over gRPC), and a {@link Driver} for waiting and scripting agents.
 */
@Timeout(60)
abstract class ClusterSemantics {
  protected final Setup setup;
  protected final TestCluster cluster = new TestCluster(Entries.catalog());
  protected final AttachedProcess client;
  protected final Driver driver;
  /** The host of the client's node. */
  protected final String near;
  /** The host the processes under test run on. */
  protected final String far;

  ClusterSemantics(Setup setup) {
    this.setup = setup;
    cluster.startNode("n1");
    if (setup.twoNodes()) {
      cluster.startNode("n2");
    }
    this.client = setup.grpcClient() ? cluster.attachRemote("n1") : cluster.attachLocal("n1");
    this.driver = new Driver(client);
    this.near = setup.near();
    this.far = setup.far();
  }

  @AfterEach
  void stopCluster() {
    cluster.close();
  }

  /** The TroupeException {@code call} throws, checked to carry {@code code}. */
  static TroupeException failsWith(ErrorCode code, ThrowingCallable call) {
    TroupeException e = catchThrowableOfType(TroupeException.class, call);
    assertThat(e).as("expected a TroupeException with " + code).isNotNull();
    assertThat(e.code()).as("code of: " + e.getMessage()).isEqualTo(code);
    return e;
  }

  /** The next client event, checked to be {@code kind} from {@code from}. */
  Event nextEvent(Event.Kind kind, String from) throws InterruptedException {
    Event e = driver.nextEvent();
    assertThat(e.kind()).as("kind of " + e).isEqualTo(kind);
    assertThat(e.from()).as("from of " + e).isEqualTo(from);
    return e;
  }
}
