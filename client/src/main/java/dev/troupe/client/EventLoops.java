package dev.troupe.client;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The network threads of this JVM: every gRPC server and channel Troupe opens shares one group of
 * event loops, of {@value #DEFAULT_THREADS} thread unless the system property {@value #THREADS_PROPERTY}
 * says otherwise. grpc-java's default is two per core, each connection on one of them; a node's
 * traffic crosses connections all the time (a worker's answer comes in on a peer stream and goes out
 * on a client's attach stream), and every crossing between two loops wakes a thread: on the 2-core
 * machines measured (interleaved pairs against four loops), one loop per JVM cut the relay's CPU per
 * echo by 15 % and its context switches 9.0 -> 7.5, echo latency by 20 %, and raised echoes with 8 in
 * flight by 13 % (BENCHMARKS.md, "One event loop per JVM"). A JVM whose network work outgrows one core
 * can be given more.
 *
 * <p>Handlers run on these threads (servers and channels use {@code directExecutor}): nothing in them
 * may block.
 */
public final class EventLoops {
  public static final int DEFAULT_THREADS = 1;
  public static final String THREADS_PROPERTY = "troupe.grpc.eventLoopThreads";

  private record Shared(EventLoopGroup group, Class<? extends Channel> channelType,
      Class<? extends ServerChannel> serverChannelType) {}

  private static volatile Shared shared;

  private EventLoops() {}

  /** How many event-loop threads this JVM runs: the property's value, else the default. */
  public static int threads() {
    return (int) Math.min(Integer.MAX_VALUE,
        SystemProperties.atLeastOne(THREADS_PROPERTY, DEFAULT_THREADS, "threads"));
  }

  /**
   * A network thread to hand a stream's writing to ({@link ReadyGatedWriter#drainOn}). With the
   * default of one thread it is the thread that serves every stream of this JVM; with more, one of
   * them (grpc-java does not say which serves a given call): still correct, at the cost of a hop.
   */
  public static java.util.concurrent.Executor writer() {
    return shared().group().next();
  }

  public static NettyServerBuilder on(NettyServerBuilder b) {
    Shared s = shared();
    return b.bossEventLoopGroup(s.group()).workerEventLoopGroup(s.group()).channelType(s.serverChannelType());
  }

  public static NettyChannelBuilder on(NettyChannelBuilder b) {
    Shared s = shared();
    return b.eventLoopGroup(s.group()).channelType(s.channelType());
  }

  private static Shared shared() {
    Shared s = shared;
    if (s == null) {
      synchronized (EventLoops.class) {
        s = shared;
        if (s == null) {
          // Daemon threads, never shut down, as grpc-java's own shared loops: servers and channels come
          // and go (a node restarts its links), the loops serve them all for the life of the JVM.
          DefaultThreadFactory threads = new DefaultThreadFactory("troupe-io", true);
          s = Epoll.isAvailable()
              ? new Shared(new MultiThreadIoEventLoopGroup(threads(), threads, EpollIoHandler.newFactory()),
                  EpollSocketChannel.class, EpollServerSocketChannel.class)
              : new Shared(new MultiThreadIoEventLoopGroup(threads(), threads, NioIoHandler.newFactory()),
                  NioSocketChannel.class, NioServerSocketChannel.class);
          shared = s;
        }
      }
    }
    return s;
  }
}
