package dev.troupe.launcher.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What Linux's /proc says of an OS process, for status listings. */
public final class ProcStatus {
  private ProcStatus() {}

  /** Resident set size in MB, or -1 where /proc cannot tell (not Linux, process gone). */
  static long rssMb(long pid) {
    long bytes = rssBytes(pid);
    return bytes < 0 ? -1 : bytes / (1024 * 1024);
  }

  /** Resident set size in bytes, or -1 where /proc cannot tell (not Linux, process gone). */
  public static long rssBytes(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone, or no /proc
    }
    return -1;
  }
}
