package dev.troupe.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;

/**
 * How Troupe opens client channels: keepalive on, direct executor, this JVM's shared
 * {@link EventLoops}, and this process's
 * {@link TransportSecurity} (the shared secret on every call; TLS when configured).
 */
public final class Channels {
  private Channels() {}

  public static ManagedChannel open(String address, ChannelSettings settings) {
    return open(address, settings, TransportSecurity.process());
  }

  public static ManagedChannel open(String address, ChannelSettings settings, TransportSecurity security) {
    NettyChannelBuilder b = EventLoops.on(NettyChannelBuilder.forTarget(address))
        .directExecutor()
        .keepAliveTime(settings.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(settings.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveWithoutCalls(true)
        .maxInboundMessageSize(16 << 20);
    if (security.tls()) {
      try {
        SslContextBuilder ssl = GrpcSslContexts.forClient();
        if (security.tlsCa() != null) {
          ssl.trustManager(security.tlsCa().toFile());
        }
        if (security.tlsCert() != null && security.tlsKey() != null) {
          ssl.keyManager(security.tlsCert().toFile(), security.tlsKey().toFile());
        }
        b.sslContext(ssl.build()).useTransportSecurity();
      } catch (IOException e) {
        throw new UncheckedIOException("TLS settings (TROUPE_TLS_*) are unusable: " + e.getMessage(), e);
      }
    } else {
      b.usePlaintext();
    }
    if (security.callerSecret() != null) {
      b.intercept(withCredentials(security.callerSecret()));
    }
    return b.build();
  }

  private static ClientInterceptor withCredentials(String secret) {
    io.grpc.CallCredentials creds = SecretCredentials.of(secret);
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
          Channel next) {
        return next.newCall(method, options.withCallCredentials(creds));
      }
    };
  }

  public static void close(ManagedChannel channel) {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
