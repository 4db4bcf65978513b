package dev.troupe.client;

/** Troupe's {@code -D} settings, read and checked one way: a bad value names the property and what it takes. */
public final class SystemProperties {
  private SystemProperties() {}

  /**
   * The whole number >= 1 in {@code -Dname}, or {@code dflt} when it is unset or blank.
   *
   * @param unit what the number counts, for the error ("threads", "milliseconds")
   * @throws IllegalArgumentException if the value is not a whole number >= 1
   */
  public static long atLeastOne(String name, long dflt, String unit) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) {
      return dflt;
    }
    try {
      long n = Long.parseLong(value.trim());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException("-D" + name + " must be a whole number of " + unit + " >= 1, got '"
        + value + "'");
  }
}
