package dev.troupe.client.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.TroupeException;
import dev.troupe.proto.common.v1.Payload;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Java values to wire payloads and back. */
class PayloadCodecTest {

  private static Object roundTrip(Object v) {
    Payload p = PayloadCodec.encode(v);
    // through the bytes, as over the network
    try {
      return PayloadCodec.decode(Payload.parseFrom(p.toByteArray()));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static void assertRejected(Object v, String messagePart) {
    TroupeException e = catchThrowableOfType(TroupeException.class, () -> PayloadCodec.encode(v));
    assertThat(e).as("encoding " + v + " should fail").isNotNull();
    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains(messagePart);
  }

  @Test
  void shouldRoundTripScalars() {
    assertThat(roundTrip(null)).isNull();
    assertThat(roundTrip("text ✓")).isEqualTo("text ✓");
    assertThat(roundTrip("")).isEqualTo("");
    assertThat(roundTrip(true)).isEqualTo(true);
    assertThat(roundTrip(false)).isEqualTo(false);
    assertThat(roundTrip('c')).isEqualTo("c");
  }

  @Test
  void shouldGiveWholeNumbersBackAsLongs() {
    assertThat(roundTrip(42)).isEqualTo(42L);
    assertThat(roundTrip(42L)).isEqualTo(42L);
    assertThat(roundTrip((short) -7)).isEqualTo(-7L);
    assertThat(roundTrip(0)).isEqualTo(0L);
    assertThat(roundTrip(9_007_199_254_740_992L)).isEqualTo(9_007_199_254_740_992L); // 2^53
    assertThat(roundTrip(-9_007_199_254_740_992L)).isEqualTo(-9_007_199_254_740_992L);
    assertThat(roundTrip(3.0)).isEqualTo(3L); // a whole double is a number like any other
  }

  @Test
  void shouldGiveOtherNumbersBackAsDoubles() {
    assertThat(roundTrip(2.5)).isEqualTo(2.5);
    assertThat(roundTrip(-0.125f)).isEqualTo(-0.125);
    assertThat(roundTrip(1e300)).isEqualTo(1e300);
    assertThat(roundTrip(Long.MAX_VALUE)).isInstanceOf(Double.class); // beyond 2^53: not exact
  }

  @Test
  void shouldRoundTripBytesAtTheTopLevel() {
    byte[] bytes = {0, 1, 2, (byte) 0xff};

    assertThat(roundTrip(bytes)).isEqualTo(bytes);
    assertThat(roundTrip(new byte[0])).isEqualTo(new byte[0]);
  }

  @Test
  void shouldRoundTripNestedMapsAndLists() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("n", 1L);
    inner.put("none", null);
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("list", List.of("a", 2L, 3.5, false, List.of(), Map.of()));
    value.put("map", inner);
    value.put("deep", Map.of("a", List.of(Map.of("b", List.of(List.of("c"))))));

    assertThat(roundTrip(value)).isEqualTo(value);
  }

  @Test
  void shouldKeepNullsInsideLists() {
    List<Object> list = Arrays.asList("a", null, 3L, null);

    assertThat(roundTrip(list)).isEqualTo(list);
  }

  @Test
  void shouldTreatArraysAsListsIncludingNullElements() {
    assertThat(roundTrip(new Object[] {"a", 1L})).isEqualTo(List.of("a", 1L));
    assertThat(roundTrip(new Object[] {"a", null})).isEqualTo(Arrays.asList("a", null));
    assertThat(roundTrip(new String[] {"x", null, "z"})).isEqualTo(Arrays.asList("x", null, "z"));
    assertThat(roundTrip(Map.of("nested", new Object[] {null}))).isEqualTo(
        Map.of("nested", Arrays.asList((Object) null)));
  }

  @Test
  void shouldAcceptAnyIterableAndMap() {
    assertThat(roundTrip(new ArrayList<>(List.of(1L, 2L)))).isEqualTo(List.of(1L, 2L));
    assertThat(roundTrip(new java.util.TreeSet<>(List.of("b", "a")))).isEqualTo(List.of("a", "b"));
    Map<String, Object> m = new HashMap<>();
    m.put("k", "v");
    assertThat(roundTrip(m)).isEqualTo(Map.of("k", "v"));
  }

  @Test
  void shouldDecodeIntoUnmodifiableCollections() {
    Object list = roundTrip(List.of(1L));
    Object map = roundTrip(Map.of("k", 1L));

    assertThat(catchThrowableOfType(UnsupportedOperationException.class,
        () -> ((List<Object>) list).add(2L))).isNotNull();
    assertThat(catchThrowableOfType(UnsupportedOperationException.class,
        () -> ((Map<String, Object>) map).put("x", 2L))).isNotNull();
  }

  @Test
  void shouldRejectTypesWithoutAPayloadForm() {
    assertRejected(new Object(), "cannot encode a java.lang.Object");
    assertRejected(Instant.EPOCH, "cannot encode a java.time.Instant");
    assertRejected(new int[] {1, 2}, "cannot encode");
    record Point(int x, int y) {}
    assertRejected(new Point(1, 2), "cannot encode");
    assertRejected(List.of(new Object()), "cannot encode");
  }

  @Test
  void shouldRejectBytesInsideMapsAndLists() {
    assertRejected(Map.of("raw", new byte[] {1}), "cannot encode a [B");
    assertRejected(List.of(new byte[] {1}), "cannot encode a [B");
  }

  @Test
  void shouldRejectNonStringMapKeys() {
    assertRejected(Map.of(1, "one"), "map keys must be strings");
    Map<Object, Object> nullKey = new HashMap<>();
    nullKey.put(null, "x");
    assertRejected(nullKey, "map keys must be strings");
  }

  @Test
  void shouldRejectCyclesInsteadOfOverflowingTheStack() {
    List<Object> cycle = new ArrayList<>();
    cycle.add(cycle);

    assertRejected(cycle, "nested deeper than 100 levels");
  }

  @Test
  void shouldEncodeEachArgumentAsOnePayload() {
    assertThat(PayloadCodec.encodeAll()).isEmpty();
    assertThat(PayloadCodec.encodeAll("a", null, 1)).hasSize(3);
    assertThat(PayloadCodec.encodeAll((Object[]) null)).hasSize(1); // a lone null argument
    assertThat(PayloadCodec.decodeAll(PayloadCodec.encodeAll("a", null, 1)))
        .containsExactly("a", null, 1L);
    assertThat(PayloadCodec.decodeAll(List.of())).isEmpty();
    assertThat(PayloadCodec.decode(Payload.getDefaultInstance())).isNull();
  }
}
