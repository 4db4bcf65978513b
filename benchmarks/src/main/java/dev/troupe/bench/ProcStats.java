package dev.troupe.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the kernel knows about the processes taking part in an operation, summed over their threads
 * ({@code /proc/PID/task/TID/schedstat} and {@code status}): CPU time, time spent runnable but
 * waiting for a CPU (run-queue wait), and context switches. Divided by the operations done between
 * two snapshots, this says where an operation's time goes (CPU in which process, waiting for a core,
 * how many thread wake-ups) on a machine where wall-clock latency is noisy.
 */
final class ProcStats {
  /** Counters of one process at one moment. */
  record Snapshot(long cpuNs, long waitNs, long voluntary, long involuntary) {
    Snapshot minus(Snapshot o) {
      return new Snapshot(cpuNs - o.cpuNs, waitNs - o.waitNs, voluntary - o.voluntary, involuntary - o.involuntary);
    }

    Snapshot plus(Snapshot o) {
      return new Snapshot(cpuNs + o.cpuNs, waitNs + o.waitNs, voluntary + o.voluntary, involuntary + o.involuntary);
    }
  }

  private ProcStats() {}

  static Snapshot read(long pid) {
    long cpu = 0;
    long wait = 0;
    long vol = 0;
    long invol = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks) {
        try {
          String[] s = Files.readString(t.resolve("schedstat")).trim().split("\\s+");
          cpu += Long.parseLong(s[0]);
          wait += Long.parseLong(s[1]);
          for (String line : Files.readAllLines(t.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              vol += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
              invol += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
          }
        } catch (IOException | RuntimeException e) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      return new Snapshot(0, 0, 0, 0);
    }
    return new Snapshot(cpu, wait, vol, invol);
  }

  /**
   * Named groups of processes (a group may be several JVMs, e.g. all worker JVMs of a launcher,
   * listed afresh at each snapshot: only processes alive at both ends count).
   */
  static final class Meter {
    private final Map<String, Supplier<List<Long>>> groups = new LinkedHashMap<>();
    private Map<String, Map<Long, Snapshot>> start;

    Meter add(String name, long pid) {
      if (pid > 0) {
        groups.put(name, () -> List.of(pid));
      }
      return this;
    }

    Meter addGroup(String name, Supplier<List<Long>> pids) {
      groups.put(name, pids);
      return this;
    }

    Meter self(String name) {
      return add(name, ProcessHandle.current().pid());
    }

    void start() {
      start = snap();
    }

    /** Per operation since {@link #start}: group -> delta. */
    Map<String, Snapshot> stop() {
      Map<String, Map<Long, Snapshot>> end = snap();
      Map<String, Snapshot> out = new LinkedHashMap<>();
      for (String g : groups.keySet()) {
        Snapshot sum = new Snapshot(0, 0, 0, 0);
        for (Map.Entry<Long, Snapshot> e : end.get(g).entrySet()) {
          Snapshot before = start.get(g).get(e.getKey());
          if (before != null) {
            sum = sum.plus(e.getValue().minus(before));
          }
        }
        out.put(g, sum);
      }
      return out;
    }

    private Map<String, Map<Long, Snapshot>> snap() {
      Map<String, Map<Long, Snapshot>> m = new LinkedHashMap<>();
      groups.forEach((g, pids) -> {
        Map<Long, Snapshot> s = new LinkedHashMap<>();
        for (long pid : pids.get()) {
          s.put(pid, read(pid));
        }
        m.put(g, s);
      });
      return m;
    }
  }

  /** Per operation: {@code <prefix>_{cpu_us,wait_us,csw}_<group>} -> value. */
  static Map<String, Double> perOp(String prefix, Map<String, Snapshot> deltas, long ops) {
    Map<String, Double> out = new LinkedHashMap<>();
    deltas.forEach((g, d) -> {
      out.put(prefix + "_cpu_us_" + g, d.cpuNs() / 1e3 / ops);
      out.put(prefix + "_wait_us_" + g, d.waitNs() / 1e3 / ops);
      out.put(prefix + "_csw_" + g, (d.voluntary() + d.involuntary()) / (double) ops);
    });
    return out;
  }

  static void diag(String key, double value) {
    System.out.println(String.format(Locale.ROOT, "DIAG %s=%.2f", key, value));
  }
}
