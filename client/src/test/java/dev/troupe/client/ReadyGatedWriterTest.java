package dev.troupe.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.CallStreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** How the writer packs what waits for a stream, and only that. */
class ReadyGatedWriterTest {

  /** A stream whose readiness the test sets; records each message written. */
  static final class FakeStream extends CallStreamObserver<List<String>> {
    boolean ready = true;
    final List<List<String>> messages = new ArrayList<>();
    final List<Thread> writers = new ArrayList<>();

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void onNext(List<String> value) {
      messages.add(value);
      writers.add(Thread.currentThread());
    }

    @Override
    public void setOnReadyHandler(Runnable r) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  private final FakeStream stream = new FakeStream();

  private ReadyGatedWriter<String, List<String>> writer(int maxBatch, int maxBatchBytes) {
    return new ReadyGatedWriter<>(stream, List::copyOf, String::length, maxBatch, maxBatchBytes);
  }

  @Test
  void aLoneItemGoesOutAtOnceInAMessageOfItsOwnOnTheEnqueuingThread() {
    var w = writer(512, 1 << 20);

    w.enqueue("a", false);

    assertThat(stream.messages).containsExactly(List.of("a"));
    assertThat(stream.writers).containsExactly(Thread.currentThread());
    assertThat(w.backlog()).isZero();
    assertThat(w.backlogBytes()).isZero();
  }

  @Test
  void whatQueuesWhileTheStreamIsNotReadyGoesOutPackedInOrderWithControlFirst() {
    var w = writer(3, 1 << 20);
    stream.ready = false;
    for (String s : List.of("d1", "d2", "d3", "d4")) {
      w.enqueue(s, false);
    }
    w.enqueue("c1", true);
    assertThat(stream.messages).isEmpty();
    assertThat(w.backlog()).isEqualTo(5);
    assertThat(w.backlogBytes()).isEqualTo(10);

    stream.ready = true;
    w.drain();

    assertThat(stream.messages).containsExactly(List.of("c1", "d1", "d2"), List.of("d3", "d4"));
    assertThat(w.backlog()).isZero();
  }

  @Test
  void aBatchStaysWithinItsByteBoundAndALargerItemGoesAlone() {
    var w = writer(100, 10);
    stream.ready = false;
    for (String s : List.of("aaaa", "bbbb", "cccc", "x".repeat(25), "dd")) {
      w.enqueue(s, false);
    }

    stream.ready = true;
    w.drain();

    assertThat(stream.messages).containsExactly(
        List.of("aaaa", "bbbb"), List.of("cccc"), List.of("x".repeat(25)), List.of("dd"));
  }

  @Test
  void withoutBatchingEveryItemIsAMessageUntilBatchingIsTurnedOn() {
    var w = writer(1, 1 << 20);
    stream.ready = false;
    w.enqueue("a", false);
    w.enqueue("b", false);
    stream.ready = true;
    w.drain();
    assertThat(stream.messages).containsExactly(List.of("a"), List.of("b"));

    w.batchUpTo(8);
    stream.ready = false;
    w.enqueue("c", false);
    w.enqueue("d", false);
    stream.ready = true;
    w.drain();
    assertThat(stream.messages).containsExactly(List.of("a"), List.of("b"), List.of("c", "d"));
  }

  @Test
  void handedToANetworkThreadWhatIsEnqueuedBeforeItRunsGoesOutAsOneMessage() {
    Queue<Runnable> tasks = new ArrayDeque<>();
    Executor networkThread = tasks::add;
    var w = writer(512, 1 << 20).drainOn(networkThread);

    w.enqueue("a", false);
    w.enqueue("b", false);
    w.enqueue("c", false);
    assertThat(stream.messages).isEmpty();
    assertThat(tasks).hasSize(1); // one task for the three

    tasks.poll().run();
    assertThat(stream.messages).containsExactly(List.of("a", "b", "c"));

    w.enqueue("d", false);
    assertThat(tasks).hasSize(1);
    tasks.poll().run();
    assertThat(stream.messages).containsExactly(List.of("a", "b", "c"), List.of("d"));
  }

  @Test
  void finishEndsTheStreamOnlyAfterWhatWasQueuedBefore() {
    List<String> ends = new ArrayList<>();
    var w = writer(512, 1 << 20);
    stream.ready = false;
    w.enqueue("last", false);
    w.finish(s -> ends.add("completed after " + stream.messages.size() + " messages"));
    assertThat(ends).isEmpty();

    stream.ready = true;
    w.drain();

    assertThat(stream.messages).containsExactly(List.of("last"));
    assertThat(ends).containsExactly("completed after 1 messages");
  }
}
