package dev.troupe.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.troupe.client.wire.Arrival;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.node.v1.AttachResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A batch's messages for one process reach its sink together, in order, within its mailbox bound. */
class DeliveryRunTest {
  /** A sink that records each hand-over (as the texts of its messages) and has a fixed backlog. */
  private static final class RecordingSink implements FrameSink {
    final List<List<String>> handOvers = new ArrayList<>();
    final int backlog;
    boolean failing;

    RecordingSink(int backlog) {
      this.backlog = backlog;
    }

    @Override
    public void push(AttachResponse frame) {
      throw new AssertionError("a run hands over messages, never frames");
    }

    @Override
    public void deliverAll(List<Arrival> arrivals) {
      if (failing) {
        throw new IllegalStateException("stream closed");
      }
      handOvers.add(arrivals.stream().map(a -> a.payloads().get(0).getRaw().toStringUtf8()).toList());
    }

    @Override
    public int backlog() {
      return backlog;
    }
  }

  private static List<Payload> text(String s) {
    return List.of(Payload.newBuilder().setRaw(ByteString.copyFromUtf8(s)).build());
  }

  @Test
  void consecutiveMessagesForOneProcessAreHandedOverTogetherInOrder() {
    DeliveryRun run = new DeliveryRun();
    RecordingSink a = new RecordingSink(0);

    for (String m : List.of("1", "2", "3")) {
      assertThat(run.add(a, 100, "{h|0x00001}", "t", text(m))).isTrue();
    }
    assertThat(a.handOvers).as("nothing is handed over before the flush").isEmpty();
    run.flush();

    assertThat(a.handOvers).containsExactly(List.of("1", "2", "3"));
  }

  @Test
  void aMessageForAnotherProcessFirstHandsOverWhatWasHeld() {
    DeliveryRun run = new DeliveryRun();
    RecordingSink a = new RecordingSink(0);
    RecordingSink b = new RecordingSink(0);

    run.add(a, 100, "f", "t", text("a1"));
    run.add(a, 100, "f", "t", text("a2"));
    run.add(b, 100, "f", "t", text("b1"));
    assertThat(a.handOvers).containsExactly(List.of("a1", "a2"));
    run.add(a, 100, "f", "t", text("a3"));
    run.flush();

    assertThat(a.handOvers).containsExactly(List.of("a1", "a2"), List.of("a3"));
    assertThat(b.handOvers).containsExactly(List.of("b1"));
  }

  @Test
  void whatTheRunHoldsCountsAgainstTheMailboxBound() {
    DeliveryRun run = new DeliveryRun();
    RecordingSink full = new RecordingSink(3); // 3 queued already; the bound is 5

    assertThat(run.add(full, 5, "f", "t", text("1"))).isTrue();
    assertThat(run.add(full, 5, "f", "t", text("2"))).isTrue();
    assertThat(run.add(full, 5, "f", "t", text("3"))).as("a sixth message would be over the bound").isFalse();
    run.flush();

    assertThat(full.handOvers).containsExactly(List.of("1", "2"));
  }

  @Test
  void aSinkThatFailsLosesOnlyItsOwnMessagesAndTheRunGoesOn() {
    DeliveryRun run = new DeliveryRun();
    RecordingSink gone = new RecordingSink(0);
    gone.failing = true;
    RecordingSink live = new RecordingSink(0);

    run.add(gone, 100, "f", "t", text("lost"));
    run.add(live, 100, "f", "t", text("kept"));
    run.flush();
    run.flush(); // an empty flush hands over nothing

    assertThat(live.handOvers).containsExactly(List.of("kept"));
  }
}
