package dev.troupe.runtime.api.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class TimeTest {

    @Test
    void afterDeliversOneInstantThenReadsAsClosed() throws Exception {
        Instant before = Instant.now();
        Channel<Instant> timer = Time.after(Duration.ofMillis(30));

        Received<Instant> fired = timer.receive();

        assertThat(fired.ok()).isTrue();
        assertThat(fired.value()).isAfterOrEqualTo(before);
        assertThat(timer.receive()).isEqualTo(new Received<>(null, false));
        assertThat(timer.isClosed()).isTrue();
        SelectResult again = Select.selectOrDefault(timer.receiveCase());
        assertThat(again.isDefault()).isFalse();
        assertThat(again.ok()).isFalse();
    }

    @Test
    void afterDoesNotFireEarly() throws Exception {
        Duration delay = Duration.ofMillis(80);
        long start = System.nanoTime();
        Channel<Instant> timer = Time.after(delay);
        assertThat(timer.tryReceive()).isEmpty();

        assertThat(timer.receive().ok()).isTrue();

        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(delay.toNanos());
    }

    @Test
    void afterRejectsZeroAndNegativeDurations() {
        assertThatThrownBy(() -> Time.after(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("after needs a positive duration");
        assertThatThrownBy(() -> Time.after(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("after needs a positive duration");
    }

    @Test
    void afterWorksAsASelectTimeout() throws Exception {
        Channel<String> never = Channel.unbuffered();
        Channel<Instant> timeout = Time.after(Duration.ofMillis(30));

        SelectResult r = Select.select(never.receiveCase(), timeout.receiveCase());

        assertThat(r.channel()).isSameAs(timeout);
        assertThat(r.value()).isInstanceOf(Instant.class);
        assertThat(never.hasWaitingReceiver()).isFalse();
    }

    @Test
    void theTimerThreadIsADaemonSoItCannotKeepTheJvmAlive() throws Exception {
        Time.after(Duration.ofMillis(1)).receive();
        assertThat(Thread.getAllStackTraces().keySet())
                .filteredOn(t -> t.getName().equals("troupe-timer"))
                .isNotEmpty()
                .allMatch(Thread::isDaemon);
    }

    @Test
    void sleepBlocksForAtLeastTheDuration() throws Exception {
        long start = System.nanoTime();
        Time.sleep(Duration.ofMillis(40));
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(40));
        Time.sleep(Duration.ZERO);
    }

    @Test
    void sleepIsInterruptible() throws Exception {
        Async<Void> sleeper = Async.run(() -> Time.sleep(Duration.ofMinutes(5)));
        sleeper.thread().interrupt();
        assertThatThrownBy(() -> sleeper.future().get(5, TimeUnit.SECONDS))
                .cause()
                .isInstanceOf(InterruptedException.class);
    }
}
