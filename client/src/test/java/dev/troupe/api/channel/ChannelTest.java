package dev.troupe.api.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.channel.Async;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class ChannelTest {

    private static final Duration NOT_YET = Duration.ofMillis(100);

    @Test
    void unbufferedSendBlocksUntilAReceiverTakesTheValue() throws Exception {
        Channel<String> ch = Channel.unbuffered();
        Async<Void> sender = Async.run(() -> ch.send("hello"));

        assertThatThrownBy(() -> sender.future().get(NOT_YET.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(TimeoutException.class);
        assertThat(ch.receive()).isEqualTo(new Received<>("hello", true));
        sender.future().get(5, TimeUnit.SECONDS);
        assertThat(ch.size()).isZero();
    }

    @Test
    void unbufferedReceiveBlocksUntilASenderArrives() throws Exception {
        Channel<Integer> ch = Channel.unbuffered();
        Async<Received<Integer>> receiver = Async.call(ch::receive);

        await().atMost(Duration.ofSeconds(5)).until(ch::hasWaitingReceiver);
        ch.send(42);
        assertThat(receiver.future().get(5, TimeUnit.SECONDS)).isEqualTo(new Received<>(42, true));
        assertThat(ch.hasWaitingReceiver()).isFalse();
    }

    @Test
    void trySendOnUnbufferedFailsWithoutAWaitingReceiver() {
        Channel<String> ch = Channel.unbuffered();
        assertThat(ch.trySend("x")).isFalse();
        assertThat(ch.tryReceive()).isEmpty();
    }

    @Test
    void bufferedChannelIsFifoAndRejectsTrySendWhenFull() throws Exception {
        Channel<Integer> ch = Channel.buffered(3);
        ch.send(1);
        ch.send(2);
        assertThat(ch.trySend(3)).isTrue();
        assertThat(ch.trySend(4)).isFalse();
        assertThat(ch.size()).isEqualTo(3);
        assertThat(ch.capacity()).isEqualTo(3);

        assertThat(ch.receive().value()).isEqualTo(1);
        assertThat(ch.receive().value()).isEqualTo(2);
        assertThat(ch.tryReceive()).contains(new Received<>(3, true));
        assertThat(ch.tryReceive()).isEmpty();
    }

    @Test
    void blockedSenderRefillsTheBufferWhenAValueIsReceived() throws Exception {
        Channel<String> ch = Channel.buffered(1);
        ch.send("a");
        Async<Void> sender = Async.run(() -> ch.send("b"));
        assertThatThrownBy(() -> sender.future().get(NOT_YET.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(TimeoutException.class);

        assertThat(ch.receive().value()).isEqualTo("a");
        sender.future().get(5, TimeUnit.SECONDS);
        assertThat(ch.size()).isEqualTo(1);
        assertThat(ch.receive().value()).isEqualTo("b");
    }

    @Test
    void negativeCapacityMeansUnbuffered() {
        Channel<String> ch = Channel.buffered(-5);
        assertThat(ch.capacity()).isZero();
        assertThat(ch.trySend("x")).isFalse();
    }

    @Test
    void nullValuesAreDeliveredAndAreNotMistakenForClose() throws Exception {
        Channel<String> buffered = Channel.buffered(2);
        buffered.send(null);
        assertThat(buffered.receive()).isEqualTo(new Received<>(null, true));

        Channel<String> unbuffered = Channel.unbuffered();
        Async<Received<String>> receiver = Async.call(unbuffered::receive);
        await().atMost(Duration.ofSeconds(5)).until(unbuffered::hasWaitingReceiver);
        assertThat(unbuffered.trySend(null)).isTrue();
        assertThat(receiver.future().get(5, TimeUnit.SECONDS)).isEqualTo(new Received<>(null, true));
    }

    @Test
    void closeWakesAllBlockedReceiversWithOkFalse() throws Exception {
        Channel<String> ch = Channel.unbuffered();
        Async<Received<String>> r1 = Async.call(ch::receive);
        Async<Received<String>> r2 = Async.call(ch::receive);
        await().atMost(Duration.ofSeconds(5)).until(ch::hasWaitingReceiver);

        ch.close();

        assertThat(r1.future().get(5, TimeUnit.SECONDS)).isEqualTo(new Received<>(null, false));
        assertThat(r2.future().get(5, TimeUnit.SECONDS)).isEqualTo(new Received<>(null, false));
        assertThat(ch.isClosed()).isTrue();
    }

    @Test
    void closeFailsBlockedSendersWithChannelClosedException() throws Exception {
        Channel<String> ch = Channel.buffered(1);
        ch.send("kept");
        Async<Void> sender = Async.run(() -> ch.send("lost"));
        assertThatThrownBy(() -> sender.future().get(NOT_YET.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(TimeoutException.class);

        ch.close();

        assertThatThrownBy(() -> sender.future().get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(ChannelClosedException.class)
                .hasMessage("send on closed channel");
        assertThat(ch.receive()).isEqualTo(new Received<>("kept", true));
        assertThat(ch.receive()).isEqualTo(new Received<>(null, false));
    }

    @Test
    void sendOnClosedChannelThrowsAndTrySendReturnsFalse() {
        Channel<String> ch = Channel.buffered(4);
        ch.close();
        assertThatThrownBy(() -> ch.send("x"))
                .isInstanceOf(ChannelClosedException.class)
                .hasMessage("send on closed channel");
        assertThat(ch.trySend("x")).isFalse();
        assertThat(ch.size()).isZero();
    }

    @Test
    void bufferedValuesSurviveClose() throws Exception {
        Channel<Integer> ch = Channel.buffered(3);
        ch.send(1);
        ch.send(2);
        ch.close();

        assertThat(ch.receive()).isEqualTo(new Received<>(1, true));
        assertThat(ch.tryReceive()).contains(new Received<>(2, true));
        assertThat(ch.receive()).isEqualTo(new Received<>(null, false));
        assertThat(ch.tryReceive()).contains(new Received<>(null, false));
    }

    @Test
    void secondCloseIsIgnored() throws Exception {
        Channel<Integer> ch = Channel.buffered(1);
        ch.send(7);
        ch.close();
        ch.close();
        assertThat(ch.isClosed()).isTrue();
        assertThat(ch.receive()).isEqualTo(new Received<>(7, true));
    }

    @Test
    void timedReceiveReturnsEmptyOnTimeoutAndTheValueOtherwise() throws Exception {
        Channel<String> ch = Channel.unbuffered();
        assertThat(ch.receive(Duration.ofMillis(50))).isEmpty();
        assertThat(ch.hasWaitingReceiver()).isFalse();

        Async<Optional<Received<String>>> receiver = Async.call(() -> ch.receive(Duration.ofSeconds(10)));
        await().atMost(Duration.ofSeconds(5)).until(ch::hasWaitingReceiver);
        assertThat(ch.trySend("v")).isTrue();
        assertThat(receiver.future().get(5, TimeUnit.SECONDS)).contains(new Received<>("v", true));
    }

    @Test
    void interruptedReceiverIsWithdrawnAndConsumesNothing() throws Exception {
        Channel<String> ch = Channel.unbuffered();
        Async<Received<String>> receiver = Async.call(ch::receive);
        await().atMost(Duration.ofSeconds(5)).until(ch::hasWaitingReceiver);

        receiver.thread().interrupt();

        assertThatThrownBy(() -> receiver.future().get(5, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(InterruptedException.class);
        assertThat(ch.hasWaitingReceiver()).isFalse();
        assertThat(ch.trySend("nobody")).isFalse();
    }

    @Test
    void blockingOperationsThrowAtOnceWhenAlreadyInterrupted() {
        Channel<String> ch = Channel.buffered(1);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> ch.send("x")).isInstanceOf(InterruptedException.class);
            assertThat(ch.size()).isZero();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void onReceiverWaitingCallbackCanTrySendToTheReceiverAboutToPark() throws Exception {
        Channel<String> inbox = Channel.unbuffered();
        List<Thread> callbackThreads = new CopyOnWriteArrayList<>();
        AtomicReference<Boolean> delivered = new AtomicReference<>();
        inbox.onReceiverWaiting(() -> {
            callbackThreads.add(Thread.currentThread());
            delivered.set(inbox.trySend("queued"));
        });

        Async<Received<String>> receiver = Async.call(inbox::receive);

        assertThat(receiver.future().get(5, TimeUnit.SECONDS)).isEqualTo(new Received<>("queued", true));
        assertThat(delivered.get()).isTrue();
        assertThat(callbackThreads).containsExactly(receiver.thread());
        assertThat(inbox.hasWaitingReceiver()).isFalse();
    }

    @Test
    void onReceiverWaitingIsNotCalledWhenTheReceiveCompletesImmediately() throws Exception {
        Channel<String> ch = Channel.buffered(1);
        List<String> calls = new CopyOnWriteArrayList<>();
        ch.onReceiverWaiting(() -> calls.add("called"));
        ch.send("ready");

        assertThat(ch.receive().value()).isEqualTo("ready");
        assertThat(calls).isEmpty();

        ch.onReceiverWaiting(null);
        Async<Received<String>> receiver = Async.call(ch::receive);
        await().atMost(Duration.ofSeconds(5)).until(ch::hasWaitingReceiver);
        ch.close();
        assertThat(receiver.future().get(5, TimeUnit.SECONDS).ok()).isFalse();
        assertThat(calls).isEmpty();
    }

    @Test
    void aThrowingCallbackWithdrawsTheReceiveAndPropagates() {
        Channel<String> ch = Channel.unbuffered();
        ch.onReceiverWaiting(() -> {
            throw new IllegalStateException("callback bug");
        });
        assertThatThrownBy(ch::receive).isInstanceOf(IllegalStateException.class).hasMessage("callback bug");
        assertThat(ch.hasWaitingReceiver()).isFalse();
    }
}
