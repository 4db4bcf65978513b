package dev.troupe.api.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.channel.Async;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Many threads racing on the same channels must neither lose nor duplicate a value. */
@Timeout(60)
class SelectStressTest {

    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 10_000;

    @Test
    void fourProducersTwoSelectingConsumersThroughABufferedChannelLoseAndDuplicateNothing()
            throws Exception {
        Channel<Integer> data = Channel.buffered(16);
        Channel<Void> quit = Channel.unbuffered();

        List<Async<List<Integer>>> consumers = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            consumers.add(Async.call(() -> {
                List<Integer> got = new ArrayList<>();
                while (true) {
                    // data first: once quit is closed, leftovers are still drained before quitting
                    SelectResult r = Select.select(data.receiveCase(), quit.receiveCase());
                    if (r.channel() == quit) {
                        return got;
                    }
                    got.add(r.value(Integer.class));
                }
            }));
        }
        List<Async<Void>> producers = startProducers(v -> data.send(v));
        awaitAll(producers);
        quit.close();

        assertExactlyAllValues(collect(consumers));
        assertThat(data.size()).isZero();
    }

    @Test
    void selectingSendersMeetSelectingReceiversWithoutLossOrDuplication() throws Exception {
        Channel<Integer> a = Channel.unbuffered();
        Channel<Integer> b = Channel.unbuffered();
        Channel<Void> quit = Channel.unbuffered();

        List<Async<List<Integer>>> consumers = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            consumers.add(Async.call(() -> {
                List<Integer> got = new ArrayList<>();
                while (true) {
                    SelectResult r = Select.select(a.receiveCase(), b.receiveCase(), quit.receiveCase());
                    if (r.channel() == quit) {
                        return got;
                    }
                    got.add(r.value(Integer.class));
                }
            }));
        }
        List<Async<Void>> producers = startProducers(v -> {
            SelectResult r = Select.select(a.sendCase(v), b.sendCase(v));
            assertThat(r.value()).isEqualTo(v);
        });
        awaitAll(producers);
        quit.close();

        assertExactlyAllValues(collect(consumers));
    }

    @Test
    void timeoutsRacingWithHandOversLoseNothing() throws Exception {
        Channel<Integer> ch = Channel.unbuffered();

        List<Async<List<Integer>>> consumers = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            consumers.add(Async.call(() -> {
                List<Integer> got = new ArrayList<>();
                while (true) {
                    // a tiny timeout makes cancellations race with concurrent hand-overs
                    Optional<Received<Integer>> r = ch.receive(Duration.ofNanos(50_000));
                    if (r.isPresent()) {
                        if (!r.get().ok()) {
                            return got;
                        }
                        got.add(r.get().value());
                    }
                }
            }));
        }
        List<Async<Void>> producers = startProducers(ch::send);
        awaitAll(producers);
        ch.close();

        assertExactlyAllValues(collect(consumers));
    }

    private interface Sender {
        void send(int value) throws Exception;
    }

    private static List<Async<Void>> startProducers(Sender sender) {
        List<Async<Void>> producers = new ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            int base = p * PER_PRODUCER;
            producers.add(Async.run(() -> {
                for (int i = 0; i < PER_PRODUCER; i++) {
                    sender.send(base + i);
                }
            }));
        }
        return producers;
    }

    private static void awaitAll(List<Async<Void>> producers) throws Exception {
        for (Async<Void> p : producers) {
            p.future().get(45, TimeUnit.SECONDS);
        }
    }

    private static List<Integer> collect(List<Async<List<Integer>>> consumers) throws Exception {
        List<Integer> all = new ArrayList<>();
        for (Async<List<Integer>> c : consumers) {
            all.addAll(c.future().get(45, TimeUnit.SECONDS));
        }
        return all;
    }

    private static void assertExactlyAllValues(List<Integer> received) {
        Set<Integer> expected = IntStream.range(0, PRODUCERS * PER_PRODUCER).boxed()
                .collect(Collectors.toSet());
        assertThat(received).hasSize(PRODUCERS * PER_PRODUCER);
        assertThat(new HashSet<>(received)).isEqualTo(expected);
    }
}
