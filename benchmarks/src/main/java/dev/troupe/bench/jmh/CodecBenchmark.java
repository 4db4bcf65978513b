package dev.troupe.bench.jmh;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.troupe.client.wire.PayloadCodec;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.Delivery;
import dev.troupe.proto.node.v1.Send;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The CPU cost per message of the frames Troupe builds around a payload, without any transport: what
 * a post costs its sender (encode the payload, build and serialise the Send frame), what the node
 * does per delivery (parse the Send, build and serialise the Delivery), and what the receiver does
 * (parse the Delivery, decode the payload). The 32-byte raw payload of the messaging figures and the
 * Echo request's map.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CodecBenchmark {
  private final byte[] raw32 = new byte[32];
  private final Map<String, Object> echo = Map.of("sender", "{registry:clients|0x0000a}", "data", "hello", "id", 42L);
  private final byte[] sendRaw32 = AttachRequest.newBuilder().setSend(Send.newBuilder().setTo("{bench:b|0x00002}")
      .setTopic("m").addAllPayloads(PayloadCodec.encodeAll((Object) raw32))).build().toByteArray();
  private final byte[] deliveryEcho = AttachResponse.newBuilder().setDelivery(Delivery.newBuilder()
      .setFrom("{registry:clients|0x0000a}").setTopic("echo").addAllPayloads(PayloadCodec.encodeAll(echo)))
      .build().toByteArray();

  /** Client side of post(to, "m", byte[32]): encode, build the Send frame, serialise it. */
  @Benchmark
  public byte[] postRaw32() {
    List<Payload> p = PayloadCodec.encodeAll((Object) raw32);
    return AttachRequest.newBuilder().setSend(Send.newBuilder().setTo("{bench:b|0x00002}").setTopic("m")
        .addAllPayloads(p)).build().toByteArray();
  }

  /** Client side of the Echo request: the map payload through protobuf Struct/Value. */
  @Benchmark
  public byte[] postEchoMap() {
    List<Payload> p = PayloadCodec.encodeAll(echo);
    return AttachRequest.newBuilder().setSend(Send.newBuilder().setTo("relay").setTopic("echo")
        .addAllPayloads(p)).build().toByteArray();
  }

  /** Node side: parse a Send, build the Delivery frame for the target's stream and serialise it. */
  @Benchmark
  public byte[] nodeRouteRaw32() throws InvalidProtocolBufferException {
    Send s = AttachRequest.parseFrom(sendRaw32).getSend();
    return AttachResponse.newBuilder().setDelivery(Delivery.newBuilder().setFrom("{bench:clients|0x00001}")
        .setTopic(s.getTopic()).addAllPayloads(s.getPayloadsList())).build().toByteArray();
  }

  /** Receiver side of the Echo request: parse the Delivery and decode the map. */
  @Benchmark
  public Object receiveEchoMap() throws InvalidProtocolBufferException {
    Delivery d = AttachResponse.parseFrom(deliveryEcho).getDelivery();
    return PayloadCodec.decodeAll(d.getPayloadsList());
  }

  /** For scale: a 32-byte protobuf BytesValue round trip, what the gRPC baseline does per message. */
  @Benchmark
  public Object baselineBytesValue() throws InvalidProtocolBufferException {
    byte[] b = com.google.protobuf.BytesValue.newBuilder().setValue(ByteString.copyFrom(raw32)).build().toByteArray();
    return com.google.protobuf.BytesValue.parseFrom(b);
  }
}
