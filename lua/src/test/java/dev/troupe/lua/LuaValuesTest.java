package dev.troupe.lua;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;

/** Lua values to the language-neutral payload and back. */
class LuaValuesTest {
  @Test
  void aPayloadSurvivesTheRoundTrip() {
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("name", "ünï");
    payload.put("count", 3L);
    payload.put("big", 1L << 40);
    payload.put("ratio", 0.25);
    payload.put("ok", true);
    payload.put("list", List.of(1L, "two", List.of(3L)));
    payload.put("nested", Map.of("k", "v"));

    assertThat(LuaValues.toJava(LuaValues.toLua(payload))).isEqualTo(payload);
  }

  @Test
  void aSequenceIsAListAndAnythingElseAMapWithTextKeys() {
    LuaTable seq = LuaValue.listOf(new LuaValue[] {LuaValue.valueOf("a"), LuaValue.valueOf("b")});
    LuaTable mixed = new LuaTable();
    mixed.rawset(1, LuaValue.valueOf("a"));
    mixed.rawset("k", LuaValue.valueOf(2));
    LuaTable sparse = new LuaTable();
    sparse.rawset(2, LuaValue.valueOf("x"));

    assertThat(LuaValues.toJava(seq)).isEqualTo(List.of("a", "b"));
    assertThat(LuaValues.toJava(mixed)).isEqualTo(Map.of("1", "a", "k", 2L));
    assertThat(LuaValues.toJava(sparse)).isEqualTo(Map.of("2", "x"));
    assertThat(LuaValues.toJava(new LuaTable())).isEqualTo(Map.of());
  }

  @Test
  void numbersWithAWholeValueAreIntegersOthersDoubles() {
    assertThat(LuaValues.toJava(LuaValue.valueOf(4.0))).isEqualTo(4L);
    assertThat(LuaValues.toJava(LuaValue.valueOf(1e15))).isEqualTo(1_000_000_000_000_000L);
    assertThat(LuaValues.toJava(LuaValue.valueOf(1e300))).isEqualTo(1e300);
    assertThat(LuaValues.toJava(LuaValue.valueOf(0.5))).isEqualTo(0.5);
  }

  @Test
  void errorsBecomeTheirMessageOtherUserdataAndFunctionsNothing() {
    assertThat(LuaValues.toJava(LuaErrors.of("NOT_FOUND", "gone"))).isEqualTo("gone");
    assertThat(LuaValues.toJava(new org.luaj.vm2.LuaUserdata(new Object()))).isNull();
    assertThat(LuaValues.toJava(new org.luaj.vm2.lib.ZeroArgFunction() {
      @Override
      public LuaValue call() {
        return NIL;
      }
    })).isNull();
  }

  @Test
  void aTableThatContainsItselfIsRefused() {
    LuaTable t = new LuaTable();
    t.rawset("self", t);

    assertThatThrownBy(() -> LuaValues.toJava(t)).isInstanceOf(LuaError.class).hasMessageContaining("contains itself");
  }
}
