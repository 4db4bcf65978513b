package dev.troupe.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Where input lines come from: a terminal with line editing and history, or a plain stream. */
public interface LineSource extends AutoCloseable {
  /** The next line, or null at end of input. {@code prompt} is shown first where that makes sense. */
  String readLine(String prompt);

  @Override
  default void close() {}

  /** Lines from a pipe or file: no prompt, no editing. */
  static LineSource of(BufferedReader reader) {
    return prompt -> {
      try {
        return reader.readLine();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }
}
