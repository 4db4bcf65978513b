package dev.troupe.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.client.AttachedProcess;
import dev.troupe.client.wire.Frames;
import dev.troupe.proto.errordetails.v1.NameAlreadyRegisteredFailure;
import dev.troupe.proto.errordetails.v1.NameNotRegisteredFailure;
import dev.troupe.proto.errordetails.v1.ProcessNotFoundFailure;
import dev.troupe.runtime.testing.Entries;
import dev.troupe.runtime.testing.TestCluster;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Errors carry a typed detail from troupe.errordetails.v1, so clients need not parse messages. */
class ErrorDetailsTest {
  private final TestCluster cluster = new TestCluster(Entries.catalog());

  @AfterEach
  void stop() {
    cluster.close();
  }

  private static Status statusOf(ThrowingCallable call) {
    try {
      call.call();
    } catch (Throwable t) {
      assertThat(t).isInstanceOf(TroupeException.class);
      return Frames.status(t);
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void notFoundAndAlreadyExistsCarryWhatTheyAreAbout() throws Exception {
    cluster.startNode("n1");
    AttachedProcess a = cluster.attachRemote("n1");
    AttachedProcess b = cluster.attachRemote("n1");
    a.registry().register("taken");

    Status unknownName = statusOf(() -> a.send("nobody", "t", 1));
    assertThat(unknownName.getCode()).isEqualTo(ErrorCode.NOT_FOUND.value());
    assertThat(unknownName.getDetails(0).unpack(NameNotRegisteredFailure.class).getName()).isEqualTo("nobody");

    Status deadPid = statusOf(() -> a.monitor("{app:n1|0x0ffff}"));
    assertThat(deadPid.getDetails(0).unpack(ProcessNotFoundFailure.class).getPid()).isEqualTo("{app:n1|0x0ffff}");

    Status taken = statusOf(() -> b.registry().register("taken"));
    assertThat(taken.getCode()).isEqualTo(ErrorCode.ALREADY_EXISTS.value());
    NameAlreadyRegisteredFailure detail = taken.getDetails(0).unpack(NameAlreadyRegisteredFailure.class);
    assertThat(detail.getName()).isEqualTo("taken");
    assertThat(detail.getOwner()).isEqualTo(a.pid());
  }
}
