package dev.troupe.api.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * A producer that hands values over inside {@link Channel#handOverThenWake} completes the hand-over at
 * once (the value is the receiver's) but wakes the receiver only when its outermost scope ends.
 */
class HandOverThenWakeTest {
  @Test
  void theReceiverGetsTheValueAndWakesOnlyWhenTheScopeEnds() throws Exception {
    Channel<String> ch = Channel.unbuffered();
    Async<Received<String>> receiver = Async.call(ch::receive);
    await().atMost(Duration.ofSeconds(5)).until(ch::hasWaitingReceiver);

    Channel.handOverThenWake(() -> {
      assertThat(ch.trySend("v")).as("handed over at once").isTrue();
      assertThat(ch.hasWaitingReceiver()).isFalse();
      Channel.handOverThenWake(() -> {}); // a nested scope's end wakes nobody
      assertThatThrownBy(() -> receiver.future().get(100, TimeUnit.MILLISECONDS))
          .as("not woken inside the scope").isInstanceOf(TimeoutException.class);
    });

    assertThat(receiver.future().get(5, TimeUnit.SECONDS)).isEqualTo(new Received<>("v", true));
  }

  @Test
  void everyReceiverCompletedInTheScopeIsWokenAndAThrowingBodyStillWakesThem() throws Exception {
    Channel<Integer> a = Channel.unbuffered();
    Channel<Integer> b = Channel.unbuffered();
    Async<Received<Integer>> ra = Async.call(a::receive);
    Async<Received<Integer>> rb = Async.call(b::receive);
    await().atMost(Duration.ofSeconds(5)).until(() -> a.hasWaitingReceiver() && b.hasWaitingReceiver());

    assertThatThrownBy(() -> Channel.handOverThenWake(() -> {
      a.trySend(1);
      b.trySend(2);
      throw new IllegalStateException("boom");
    })).hasMessage("boom");

    assertThat(ra.future().get(5, TimeUnit.SECONDS)).isEqualTo(new Received<>(1, true));
    assertThat(rb.future().get(5, TimeUnit.SECONDS)).isEqualTo(new Received<>(2, true));
  }
}
