package dev.troupe.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Percentiles, medians, and the one output format scripts/bench.sh reads: {@code RESULT key=value}. */
public final class Stats {
  private Stats() {}

  /** A series of nanosecond samples; grows as needed. */
  public static final class Samples {
    private long[] values;
    private int n;

    public Samples(int capacity) {
      values = new long[Math.max(16, capacity)];
    }

    public void add(long nanos) {
      if (n == values.length) {
        values = Arrays.copyOf(values, n * 2);
      }
      values[n++] = nanos;
    }

    public int size() {
      return n;
    }

    /** The p-th percentile (0..100), nearest rank, in nanoseconds. */
    public double percentile(double p) {
      if (n == 0) {
        return Double.NaN;
      }
      long[] sorted = Arrays.copyOf(values, n);
      Arrays.sort(sorted);
      int rank = (int) Math.ceil(p / 100.0 * n);
      return sorted[Math.min(n - 1, Math.max(0, rank - 1))];
    }
  }

  public static double median(List<Double> xs) {
    double[] a = xs.stream().filter(d -> !Double.isNaN(d)).mapToDouble(Double::doubleValue).sorted().toArray();
    if (a.length == 0) {
      return Double.NaN;
    }
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  /** Prints one figure for scripts/bench.sh. */
  public static void result(String key, double value) {
    String v;
    if (Double.isNaN(value)) {
      v = "NaN";
    } else if (Math.abs(value) >= 1000) {
      v = String.format(Locale.ROOT, "%.0f", value);
    } else if (Math.abs(value) >= 10) {
      v = String.format(Locale.ROOT, "%.1f", value);
    } else {
      v = String.format(Locale.ROOT, "%.2f", value);
    }
    System.out.println("RESULT " + key + "=" + v);
    System.out.flush();
  }

  /** A progress line for the log (stderr), never parsed. */
  public static void log(String fmt, Object... args) {
    System.err.println("bench: " + String.format(Locale.ROOT, fmt, args));
    System.err.flush();
  }
}
