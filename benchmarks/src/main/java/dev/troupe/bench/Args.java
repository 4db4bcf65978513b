package dev.troupe.bench;

import java.util.HashMap;
import java.util.Map;

/** {@code --key value} and {@code --flag} arguments of a subcommand. */
final class Args {
  private final Map<String, String> values = new HashMap<>();

  Args(String[] args, int from) {
    for (int i = from; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("expected --option, got " + a);
      }
      String key = a.substring(2);
      if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        values.put(key, args[++i]);
      } else {
        values.put(key, "true");
      }
    }
  }

  String get(String key) {
    String v = values.get(key);
    if (v == null) {
      throw new IllegalArgumentException("missing --" + key);
    }
    return v;
  }

  String get(String key, String dflt) {
    return values.getOrDefault(key, dflt);
  }

  int getInt(String key, int dflt) {
    return values.containsKey(key) ? Integer.parseInt(values.get(key)) : dflt;
  }

  long getLong(String key, long dflt) {
    return values.containsKey(key) ? Long.parseLong(values.get(key)) : dflt;
  }

  boolean flag(String key) {
    return Boolean.parseBoolean(values.getOrDefault(key, "false"));
  }
}
