package dev.troupe.api.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.troupe.api.channel.Async;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class SelectTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @Test
    void firstReadyCaseInArgumentOrderAlwaysWins() throws Exception {
        for (int run = 0; run < 100; run++) {
            Channel<String> a = Channel.buffered(1);
            Channel<String> b = Channel.buffered(1);
            Channel<String> c = Channel.buffered(1);
            b.send("b");
            c.send("c");

            SelectResult r = Select.select(a.receiveCase(), b.receiveCase(), c.receiveCase());

            assertThat(r.index()).isEqualTo(1);
            assertThat(r.channel()).isSameAs(b);
            assertThat(r.value(String.class)).isEqualTo("b");
            assertThat(r.ok()).isTrue();
            assertThat(c.size()).as("losing ready case must not be consumed").isEqualTo(1);
        }
    }

    @Test
    void aReadySendCaseBeforeAReadyReceiveCaseWins() throws Exception {
        Channel<String> out = Channel.buffered(1);
        Channel<String> in = Channel.buffered(1);
        in.send("pending");

        SelectResult r = Select.select(out.sendCase("sent"), in.receiveCase());

        assertThat(r.index()).isZero();
        assertThat(r.channel()).isSameAs(out);
        assertThat(r.value()).isEqualTo("sent");
        assertThat(out.receive().value()).isEqualTo("sent");
        assertThat(in.size()).isEqualTo(1);
    }

    @Test
    void selectOrDefaultReturnsTheDefaultWhenNothingIsReady() {
        Channel<String> a = Channel.unbuffered();
        Channel<String> b = Channel.buffered(1);

        SelectResult r = Select.selectOrDefault(a.receiveCase(), b.receiveCase(), a.sendCase("x"));

        assertThat(r.isDefault()).isTrue();
        assertThat(r.index()).isEqualTo(-1);
        assertThat(r.ok()).isTrue();
        assertThat(r.channel()).isNull();
        assertThat(a.hasWaitingReceiver()).isFalse();
    }

    @Test
    void selectOrDefaultTakesAReadyCase() {
        Channel<String> a = Channel.unbuffered();
        Channel<String> b = Channel.buffered(1);
        b.trySend("ready");

        SelectResult r = Select.selectOrDefault(a.receiveCase(), b.receiveCase());

        assertThat(r.isDefault()).isFalse();
        assertThat(r.index()).isEqualTo(1);
        assertThat(r.value()).isEqualTo("ready");
    }

    @Test
    void blockedSelectCompletesWithTheCaseThatBecameReadyAndWithdrawsTheOthers() throws Exception {
        Channel<String> a = Channel.unbuffered();
        Channel<String> b = Channel.unbuffered();
        Async<SelectResult> select = Async.call(() -> Select.select(a.receiveCase(), b.receiveCase()));
        await().atMost(WAIT).until(() -> a.hasWaitingReceiver() && b.hasWaitingReceiver());

        b.send("from b");

        SelectResult r = select.future().get(5, TimeUnit.SECONDS);
        assertThat(r.channel()).isSameAs(b);
        assertThat(r.index()).isEqualTo(1);
        assertThat(r.value()).isEqualTo("from b");
        assertThat(a.hasWaitingReceiver()).isFalse();
        assertThat(a.trySend("must stay unconsumed")).isFalse();
    }

    @Test
    void blockedSendCaseCompletesWhenAReceiverArrives() throws Exception {
        Channel<String> out = Channel.unbuffered();
        Channel<String> in = Channel.unbuffered();
        Async<SelectResult> select = Async.call(() -> Select.select(in.receiveCase(), out.sendCase("payload")));
        await().atMost(WAIT).until(in::hasWaitingReceiver);

        assertThat(out.receive()).isEqualTo(new Received<>("payload", true));

        SelectResult r = select.future().get(5, TimeUnit.SECONDS);
        assertThat(r.index()).isEqualTo(1);
        assertThat(r.channel()).isSameAs(out);
        assertThat(r.value()).isEqualTo("payload");
        assertThat(in.hasWaitingReceiver()).isFalse();
    }

    @Test
    void sendCaseHandsToAWaitingReceiver() throws Exception {
        Channel<Integer> ch = Channel.unbuffered();
        Async<Received<Integer>> receiver = Async.call(ch::receive);
        await().atMost(WAIT).until(ch::hasWaitingReceiver);

        SelectResult r = Select.selectOrDefault(ch.sendCase(5));

        assertThat(r.index()).isZero();
        assertThat(receiver.future().get(5, TimeUnit.SECONDS)).isEqualTo(new Received<>(5, true));
    }

    @Test
    void receiveCaseOnAClosedChannelIsReadyWithOkFalse() throws Exception {
        Channel<String> open = Channel.unbuffered();
        Channel<String> closed = Channel.unbuffered();
        closed.close();

        SelectResult r = Select.select(open.receiveCase(), closed.receiveCase());

        assertThat(r.index()).isEqualTo(1);
        assertThat(r.ok()).isFalse();
        assertThat(r.value()).isNull();
    }

    @Test
    void closingAChannelWakesABlockedSelectReceiveWithOkFalse() throws Exception {
        Channel<String> a = Channel.unbuffered();
        Channel<String> b = Channel.unbuffered();
        Async<SelectResult> select = Async.call(() -> Select.select(a.receiveCase(), b.receiveCase()));
        await().atMost(WAIT).until(a::hasWaitingReceiver);

        a.close();

        SelectResult r = select.future().get(5, TimeUnit.SECONDS);
        assertThat(r.channel()).isSameAs(a);
        assertThat(r.ok()).isFalse();
        assertThat(b.hasWaitingReceiver()).isFalse();
    }

    @Test
    void sendCaseOnAChannelClosedWhileBlockedThrows() throws Exception {
        Channel<String> idle = Channel.unbuffered();
        Channel<String> out = Channel.unbuffered();
        Async<SelectResult> select = Async.call(() -> Select.select(idle.receiveCase(), out.sendCase("x")));
        await().atMost(WAIT).until(idle::hasWaitingReceiver);

        out.close();

        assertThatThrownBy(() -> select.future().get(5, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(ChannelClosedException.class);
        assertThat(idle.hasWaitingReceiver()).isFalse();
    }

    @Test
    void sendCaseOnAnAlreadyClosedChannelThrows() {
        Channel<String> out = Channel.buffered(1);
        out.close();
        assertThatThrownBy(() -> Select.selectOrDefault(out.sendCase("x")))
                .isInstanceOf(ChannelClosedException.class);
    }

    @Test
    void onReceiverWaitingHandsOverToAReceiverWaitingInsideSelect() throws Exception {
        Channel<String> other = Channel.unbuffered();
        Channel<String> inbox = Channel.unbuffered();
        AtomicBoolean delivered = new AtomicBoolean();
        inbox.onReceiverWaiting(() -> delivered.set(inbox.trySend("queued message")));

        Async<SelectResult> select = Async.call(() -> Select.select(other.receiveCase(), inbox.receiveCase()));

        SelectResult r = select.future().get(5, TimeUnit.SECONDS);
        assertThat(delivered).isTrue();
        assertThat(r.channel()).isSameAs(inbox);
        assertThat(r.value()).isEqualTo("queued message");
        assertThat(other.hasWaitingReceiver()).isFalse();
    }

    @Test
    void interruptedSelectIsWithdrawnFromEveryChannel() throws Exception {
        Channel<String> a = Channel.unbuffered();
        Channel<String> b = Channel.buffered(0);
        Async<SelectResult> select = Async.call(() -> Select.select(a.receiveCase(), b.receiveCase()));
        await().atMost(WAIT).until(() -> a.hasWaitingReceiver() && b.hasWaitingReceiver());

        select.thread().interrupt();

        assertThatThrownBy(() -> select.future().get(5, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(InterruptedException.class);
        assertThat(a.trySend("x")).isFalse();
        assertThat(b.trySend("y")).isFalse();
    }

    @Test
    void timedSelectReturnsEmptyOnTimeout() throws Exception {
        Channel<String> a = Channel.unbuffered();
        Optional<SelectResult> r = Select.select(Duration.ofMillis(50), a.receiveCase());
        assertThat(r).isEmpty();
        assertThat(a.hasWaitingReceiver()).isFalse();
    }

    @Test
    void emptySelectBlocksUntilInterrupted() {
        Async<SelectResult> select = Async.call(() -> Select.select());
        assertThatThrownBy(() -> select.future().get(100, TimeUnit.MILLISECONDS))
                .isInstanceOf(TimeoutException.class);
        select.interruptEndsItWithInterruptedException();
    }

    @Test
    void sameChannelInTwoCasesDoesNotDeadlock() throws Exception {
        Channel<Integer> ch = Channel.buffered(1);
        SelectResult first = Select.select(ch.receiveCase(), ch.sendCase(1));
        assertThat(first.index()).isEqualTo(1);
        SelectResult second = Select.select(ch.sendCase(2), ch.receiveCase());
        assertThat(second.index()).isEqualTo(1);
        assertThat(second.value()).isEqualTo(1);
    }
}
