package dev.troupe.runtime.grpc;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A marshaller for stream messages that a writer has already encoded: their bytes go to gRPC's framer
 * in one copy, as grpc-protobuf's own marshaller hands over a message. For a stream whose sender
 * writes the protobuf bytes itself ({@link PeerBatchEncoder}); the receiving side parses them with the
 * generated classes, as any message of that type.
 */
final class EncodedMessages implements MethodDescriptor.Marshaller<byte[]> {
  static final EncodedMessages MARSHALLER = new EncodedMessages();

  private EncodedMessages() {}

  /**
   * {@code method} with requests taken as encoded bytes (same name, type and response marshaller):
   * a client calls it with what a {@link PeerBatchEncoder} or {@code toByteArray()} produced.
   */
  static <Q, R> MethodDescriptor<byte[], R> requestsAsBytes(MethodDescriptor<Q, R> method) {
    return method.toBuilder(MARSHALLER, method.getResponseMarshaller()).build();
  }

  @Override
  public InputStream stream(byte[] value) {
    return new Bytes(value);
  }

  @Override
  public byte[] parse(InputStream stream) {
    try (stream) {
      return stream.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("reading a stream message failed", e);
    }
  }

  /** Known length, so the framer writes a length prefix without buffering; drained in one write. */
  private static final class Bytes extends ByteArrayInputStream implements KnownLength, Drainable {
    Bytes(byte[] bytes) {
      super(bytes);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }
}
