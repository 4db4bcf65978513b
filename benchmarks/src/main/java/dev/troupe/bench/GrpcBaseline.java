package dev.troupe.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The baseline: raw grpc-java between two JVMs on loopback, no Troupe. One bidi method echoes every
 * message (ping-pong), one counts a one-way flood and answers with the count when the client
 * half-closes. 32-byte {@code BytesValue} messages, one gRPC message per logical message,
 * {@code directExecutor} on both sides, plaintext, as Troupe's own channels and servers are built.
 */
public final class GrpcBaseline {
  private static final String SERVICE = "troupe.bench.v1.Baseline";
  static final MethodDescriptor<BytesValue, BytesValue> PING_PONG = method("PingPong");
  static final MethodDescriptor<BytesValue, BytesValue> FLOOD = method("Flood");

  private GrpcBaseline() {}

  private static MethodDescriptor<BytesValue, BytesValue> method(String name) {
    return MethodDescriptor.<BytesValue, BytesValue>newBuilder()
        .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(ProtoUtils.marshaller(BytesValue.getDefaultInstance()))
        .setResponseMarshaller(ProtoUtils.marshaller(BytesValue.getDefaultInstance()))
        .build();
  }

  static BytesValue payload32() {
    byte[] b = new byte[32];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) (i * 7 + 1);
    }
    return BytesValue.newBuilder().setValue(ByteString.copyFrom(b)).build();
  }

  // ------------------------------------------------------------------------------------ server

  /** The baseline server JVM: prints {@code READY host:port} and serves until SIGTERM. */
  static void serve(Args a) throws Exception {
    ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
        .addMethod(PING_PONG, ServerCalls.asyncBidiStreamingCall(responses -> new StreamObserver<>() {
          @Override
          public void onNext(BytesValue v) {
            responses.onNext(v);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            responses.onCompleted();
          }
        }))
        .addMethod(FLOOD, ServerCalls.asyncBidiStreamingCall(responses -> new StreamObserver<>() {
          long count;

          @Override
          public void onNext(BytesValue v) {
            count++;
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            responses.onNext(BytesValue.newBuilder()
                .setValue(ByteString.copyFromUtf8(Long.toString(count))).build());
            responses.onCompleted();
          }
        }))
        .build();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", a.getInt("port", 0)))
        .directExecutor()
        .addService(service)
        .build()
        .start();
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
    System.out.println("READY 127.0.0.1:" + server.getPort());
    System.out.flush();
    server.awaitTermination();
  }

  // ------------------------------------------------------------------------------------ client

  /** A client of the baseline server, as Troupe opens its channels (direct executor, plaintext). */
  static final class Client implements AutoCloseable {
    private final ManagedChannel channel;
    private final BytesValue payload = payload32();

    Client(String address) {
      channel = NettyChannelBuilder.forTarget(address).usePlaintext().directExecutor().build();
    }

    /**
     * Ping-pong on one stream with the next ping sent from the response callback (no thread hop on
     * the client): the transport's own round trip.
     */
    Stats.Samples rttCallback(int count) throws InterruptedException {
      Stats.Samples s = new Stats.Samples(count);
      CountDownLatch done = new CountDownLatch(1);
      long[] sentAt = new long[1];
      int[] left = {count};
      @SuppressWarnings("unchecked")
      StreamObserver<BytesValue>[] req = new StreamObserver[1];
      req[0] = ClientCalls.asyncBidiStreamingCall(channel.newCall(PING_PONG, CallOptions.DEFAULT),
          new StreamObserver<>() {
            @Override
            public void onNext(BytesValue v) {
              long now = System.nanoTime();
              s.add(now - sentAt[0]);
              if (--left[0] > 0) {
                sentAt[0] = System.nanoTime();
                req[0].onNext(payload);
              } else {
                req[0].onCompleted();
                done.countDown();
              }
            }

            @Override
            public void onError(Throwable t) {
              done.countDown();
            }

            @Override
            public void onCompleted() {}
          });
      synchronized (req) {
        sentAt[0] = System.nanoTime();
        req[0].onNext(payload);
      }
      if (!done.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("baseline ping-pong did not finish");
      }
      return s;
    }

    /**
     * Ping-pong where an application thread sends and blocks until the answer is handed to it: the
     * thread hop every blocking API (Troupe's receive included) pays on top of the transport.
     */
    Stats.Samples rttBlocking(int count) throws InterruptedException {
      Stats.Samples s = new Stats.Samples(count);
      BlockingQueue<BytesValue> answers = new ArrayBlockingQueue<>(4);
      StreamObserver<BytesValue> req = ClientCalls.asyncBidiStreamingCall(
          channel.newCall(PING_PONG, CallOptions.DEFAULT), new StreamObserver<>() {
            @Override
            public void onNext(BytesValue v) {
              answers.add(v);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
      for (int i = 0; i < count; i++) {
        long t0 = System.nanoTime();
        req.onNext(payload);
        if (answers.poll(10, TimeUnit.SECONDS) == null) {
          throw new IllegalStateException("baseline ping-pong timed out");
        }
        s.add(System.nanoTime() - t0);
      }
      req.onCompleted();
      return s;
    }

    /**
     * One-way flood of {@code count} messages on one stream from an application thread that waits
     * while the stream is not ready (as Troupe's GrpcAttach does); the server answers with its count
     * once the client half-closes. @return messages per second
     */
    double flood(int count) throws Exception {
      Object readyLock = new Object();
      CompletableFuture<Long> received = new CompletableFuture<>();
      AtomicLong endAt = new AtomicLong();
      @SuppressWarnings("unchecked")
      ClientCallStreamObserver<BytesValue>[] call = new ClientCallStreamObserver[1];
      ClientCalls.asyncBidiStreamingCall(channel.newCall(FLOOD, CallOptions.DEFAULT),
          new ClientResponseObserver<BytesValue, BytesValue>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<BytesValue> r) {
              call[0] = r;
              r.setOnReadyHandler(() -> {
                synchronized (readyLock) {
                  readyLock.notifyAll();
                }
              });
            }

            @Override
            public void onNext(BytesValue v) {
              endAt.set(System.nanoTime());
              received.complete(Long.parseLong(v.getValue().toStringUtf8()));
            }

            @Override
            public void onError(Throwable t) {
              received.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
          });
      long t0 = System.nanoTime();
      for (int i = 0; i < count; i++) {
        synchronized (readyLock) {
          while (!call[0].isReady()) {
            readyLock.wait(100);
          }
          call[0].onNext(payload);
        }
      }
      synchronized (readyLock) {
        call[0].onCompleted();
      }
      long got = received.get(120, TimeUnit.SECONDS);
      if (got != count) {
        throw new IllegalStateException("baseline flood: server counted " + got + " of " + count);
      }
      return count / ((endAt.get() - t0) / 1e9);
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }
}
