package dev.troupe.cli;

import dev.troupe.api.channel.Channel;
import dev.troupe.api.channel.ChannelClosedException;
import dev.troupe.api.channel.Received;

/**
 * Reads lines from a {@link LineSource} on a thread of its own, one each time it is asked, so that the
 * session can wait for the next line and for its connection's end at once (a select over both). Asked
 * line by line, it never reads ahead: the prompt shows when the session is ready for the next line,
 * and lines a user types meanwhile wait in the terminal or pipe, unread.
 */
final class LinePump implements AutoCloseable {
  private final LineSource source;
  private final Channel<String> asks = Channel.buffered(1);
  private final Channel<String> lines = Channel.unbuffered();

  LinePump(LineSource source) {
    this.source = source;
    // A daemon platform thread: it may stay blocked in a read when the session ends for another reason.
    Thread.ofPlatform().daemon().name("cli-lines").start(this::run);
  }

  /** Asks for the next line, showing {@code prompt} where that makes sense; it comes on {@link #lines()}. */
  void ask(String prompt) throws InterruptedException {
    asks.send(prompt);
  }

  /** The lines asked for; closed at the end of input. */
  Channel<String> lines() {
    return lines;
  }

  private void run() {
    try {
      while (true) {
        Received<String> prompt = asks.receive();
        if (!prompt.ok()) {
          return;
        }
        String line;
        try {
          line = source.readLine(prompt.value());
        } catch (RuntimeException e) {
          line = null; // an unreadable input ends it like its end
        }
        if (line == null) {
          lines.close();
          return;
        }
        lines.send(line);
      }
    } catch (InterruptedException | ChannelClosedException e) {
      lines.close();
    }
  }

  @Override
  public void close() {
    asks.close();
  }
}
