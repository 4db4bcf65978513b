package dev.troupe.client.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.troupe.api.TroupeException;
import dev.troupe.proto.common.v1.Payload;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts Java values to the language-neutral wire payload and back. Accepted: null, String,
 * Boolean, Number, byte[] (top level only), Map with String keys, List/array, and records of those are
 * not accepted (convert them to maps). Whole numbers come back as Long, others as Double, so that a
 * value sent as 42 reads as 42 again.
 */
public final class PayloadCodec {
  /** A node's limit on one encoded payload unless configured (`--max-payload-bytes`): 1 MiB. */
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1 << 20;
  private static final double MAX_EXACT = 9007199254740992d; // 2^53

  private PayloadCodec() {}

  public static List<Payload> encodeAll(Object... values) {
    if (values == null) {
      return List.of(encode(null));
    }
    List<Payload> out = new ArrayList<>(values.length);
    for (Object v : values) {
      out.add(encode(v));
    }
    return out;
  }

  /**
   * The size a node checks against its payload limit ({@code NodeConfig.maxPayloadBytes}): the
   * serialized bytes of each payload of a message, added up.
   */
  public static long encodedSize(Object... values) {
    long size = 0;
    for (Payload p : encodeAll(values)) {
      size += p.getSerializedSize();
    }
    return size;
  }

  public static Payload encode(Object v) {
    if (v instanceof byte[] bytes) {
      return Payload.newBuilder().setRaw(ByteString.copyFrom(bytes)).build();
    }
    return Payload.newBuilder().setValue(toValue(v, 0)).build();
  }

  public static Object decode(Payload p) {
    return switch (p.getKindCase()) {
      case RAW -> p.getRaw().toByteArray();
      case VALUE -> fromValue(p.getValue());
      case KIND_NOT_SET -> null;
    };
  }

  public static List<Object> decodeAll(List<Payload> payloads) {
    int n = payloads.size();
    if (n == 0) {
      return List.of();
    }
    if (n == 1) {
      // Most messages carry one payload: no list and iterator to allocate for it (null allowed).
      return Collections.singletonList(decode(payloads.get(0)));
    }
    List<Object> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(decode(payloads.get(i)));
    }
    return Collections.unmodifiableList(out);
  }

  static Value toValue(Object v, int depth) {
    if (depth > 100) {
      throw TroupeException.invalid("payload nested deeper than 100 levels (a cycle?)");
    }
    if (v == null) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    if (v instanceof String s) {
      return Value.newBuilder().setStringValue(s).build();
    }
    if (v instanceof Boolean b) {
      return Value.newBuilder().setBoolValue(b).build();
    }
    if (v instanceof Number n) {
      return Value.newBuilder().setNumberValue(n.doubleValue()).build();
    }
    if (v instanceof Map<?, ?> m) {
      Struct.Builder s = Struct.newBuilder();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getKey() instanceof String key)) {
          throw TroupeException.invalid(
              "payload map keys must be strings, got " + typeName(e.getKey()));
        }
        s.putFields(key, toValue(e.getValue(), depth + 1));
      }
      return Value.newBuilder().setStructValue(s).build();
    }
    if (v instanceof Iterable<?> it) {
      ListValue.Builder l = ListValue.newBuilder();
      for (Object o : it) {
        l.addValues(toValue(o, depth + 1));
      }
      return Value.newBuilder().setListValue(l).build();
    }
    if (v instanceof Object[] arr) {
      return toValue(Arrays.asList(arr), depth); // not List.of: arrays may hold nulls
    }
    if (v instanceof Character c) {
      return Value.newBuilder().setStringValue(c.toString()).build();
    }
    throw TroupeException.invalid(
        "cannot encode a " + typeName(v) + " as a payload: use maps, lists, strings, numbers,"
            + " booleans, null or byte[]");
  }

  static Object fromValue(Value v) {
    return switch (v.getKindCase()) {
      case NULL_VALUE, KIND_NOT_SET -> null;
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue();
      case NUMBER_VALUE -> {
        double d = v.getNumberValue();
        if (d == Math.rint(d) && Math.abs(d) <= MAX_EXACT) {
          yield (long) d;
        }
        yield d;
      }
      case STRUCT_VALUE -> {
        Map<String, Object> m = new LinkedHashMap<>();
        v.getStructValue().getFieldsMap().forEach((k, x) -> m.put(k, fromValue(x)));
        yield Collections.unmodifiableMap(m);
      }
      case LIST_VALUE -> {
        List<Object> l = new ArrayList<>(v.getListValue().getValuesCount());
        for (Value x : v.getListValue().getValuesList()) {
          l.add(fromValue(x));
        }
        yield Collections.unmodifiableList(l);
      }
    };
  }

  private static String typeName(Object o) {
    return o == null ? "null" : o.getClass().getName();
  }
}
