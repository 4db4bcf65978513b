package dev.troupe.runtime.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HeapGuardTest {
  private final AtomicLong used = new AtomicLong();
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @Test
  void aHeapAboveItsLimitAfterCollectionIsFullAndOneBelowIsNot() {
    HeapGuard guard = new HeapGuard(90, used::get, 1000, now::get);

    used.set(900);
    assertThat(guard.full()).as("at the limit").isFalse();
    now.addAndGet(HeapGuard.RECHECK_NANOS);
    used.set(901);
    assertThat(guard.full()).as("above it").isTrue();
    assertThat(guard.describe()).isEqualTo("heap 90 % full after the last collection (0 of 0 MB; limit 90 %)");
  }

  @Test
  void theAnswerIsKeptForAShortWhileThenReadAgain() {
    HeapGuard guard = new HeapGuard(50, used::get, 100, now::get);
    used.set(80);
    assertThat(guard.full()).isTrue();

    used.set(10);
    now.addAndGet(HeapGuard.RECHECK_NANOS - 1);
    assertThat(guard.full()).as("within the recheck interval").isTrue();
    now.addAndGet(1);
    assertThat(guard.full()).as("after it").isFalse();
  }

  @Test
  void aLimitOfAHundredNeverRefusesAndOneOutsideOneToAHundredIsRefused() {
    used.set(Long.MAX_VALUE / 200);
    assertThat(new HeapGuard(100, used::get, 1, now::get).full()).isFalse();
    assertThatThrownBy(() -> new HeapGuard(0, used::get, 1, now::get)).hasMessageContaining("from 1 to 100");
    assertThatThrownBy(() -> new HeapGuard(101, used::get, 1, now::get)).hasMessageContaining("from 1 to 100");
  }

  @Test
  void thisJvmsGuardReadsItsHeapPools() {
    System.gc(); // so that the pools have a usage after collection
    HeapGuard guard = HeapGuard.ofThisJvm(99);
    assertThat(guard.full()).isFalse();
    assertThat(guard.describe()).matches("heap \\d+ % full after the last collection \\(\\d+ of \\d+ MB; limit 99 %\\)");
  }
}
