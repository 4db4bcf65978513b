package dev.troupe.lua;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The terminal of a {@code terminal.host} process: what {@code io.readline}, {@code io.write} and
 * {@code io.print} use. Processes on a {@code process.host} have none.
 */
public interface Terminal {
  /** The next line without its end, or null at the end of input. */
  String readLine() throws IOException;

  /** Writes {@code text} as it is and flushes it. */
  void write(String text);

  /** This JVM's standard input and output, in UTF-8. */
  static Terminal console() {
    return of(System.in, System.out);
  }

  static Terminal of(InputStream in, PrintStream out) {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    return new Terminal() {
      @Override
      public String readLine() throws IOException {
        return reader.readLine();
      }

      @Override
      public void write(String text) {
        out.print(text);
        out.flush();
      }
    };
  }
}
