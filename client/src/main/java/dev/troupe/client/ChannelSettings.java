package dev.troupe.client;

import java.time.Duration;

/**
 * Settings of node-to-node and node-to-registry links.
 *
 * @param keepAliveTime how often an idle link is pinged (HTTP/2 PING): how a silent peer (paused,
 *     partitioned, no FIN) is noticed
 * @param keepAliveTimeout how long a ping may go unanswered before the link is declared broken; with
 *     keepAliveTime this bounds node-loss detection (default 1 s + 2 s = 3 s)
 * @param maxBatch most frames packed into one stream message: envelopes on a peer stream, frames on an
 *     attach stream whose far end accepts batches (writers pack only what waits for the stream)
 * @param maxBatchBytes most bytes packed into one stream message (one larger frame goes alone): keeps
 *     a batch far below the 16 MiB a node accepts in one message, and one stream's burst from
 *     holding the network thread for long
 */
public record ChannelSettings(Duration keepAliveTime, Duration keepAliveTimeout, int maxBatch, int maxBatchBytes) {
  public static final Duration DEFAULT_KEEPALIVE_TIME = Duration.ofSeconds(1);
  public static final Duration DEFAULT_KEEPALIVE_TIMEOUT = Duration.ofSeconds(2);
  public static final int DEFAULT_MAX_BATCH = 512;
  public static final int DEFAULT_MAX_BATCH_BYTES = 256 * 1024;

  public static ChannelSettings defaults() {
    return new ChannelSettings(DEFAULT_KEEPALIVE_TIME, DEFAULT_KEEPALIVE_TIMEOUT, DEFAULT_MAX_BATCH, DEFAULT_MAX_BATCH_BYTES);
  }
}
