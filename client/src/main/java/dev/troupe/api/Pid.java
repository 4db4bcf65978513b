package dev.troupe.api;

import java.util.Objects;

/**
 * The identity of a process: the host it runs on, an id unique within its node's life, and, where
 * several nodes serve one host name, the node. Text form as in the original runtime:
 * {@code {app:processes|0x00004}} or {@code {node-1@app:processes|0x00004}}.
 */
public record Pid(String node, String host, long id) {

  public Pid {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(host, "host");
    if (host.isEmpty()) {
      throw new IllegalArgumentException("a PID needs a host");
    }
    if (id <= 0) {
      throw new IllegalArgumentException("a PID id is positive, got " + id);
    }
  }

  /** A PID without a node qualifier. */
  public static Pid of(String host, long id) {
    return new Pid("", host, id);
  }

  /** Whether {@code text} looks like a PID rather than a registered name. */
  public static boolean looksLikePid(String text) {
    return text != null && text.startsWith("{");
  }

  /**
   * Parses the text form. Accepts the legacy {@code {host|x|id}} form as the original does (the text
   * after the second '|' is the id).
   *
   * @throws IllegalArgumentException with a message that says what is wrong
   */
  public static Pid parse(String text) {
    if (text == null || text.length() < 3 || !text.startsWith("{") || !text.endsWith("}")) {
      throw new IllegalArgumentException(
          "malformed PID '" + text + "': expected {host|0xNNNNN}, e.g. {app:processes|0x00004}");
    }
    String inner = text.substring(1, text.length() - 1);
    int bar = inner.indexOf('|');
    if (bar < 0) {
      throw new IllegalArgumentException("malformed PID '" + text + "': no '|' between host and id");
    }
    String where = inner.substring(0, bar);
    String idText = inner.substring(bar + 1);
    int second = idText.indexOf('|');
    if (second >= 0) {
      idText = idText.substring(second + 1);
    }
    String node = "";
    String host = where;
    int at = where.indexOf('@');
    if (at >= 0) {
      node = where.substring(0, at);
      host = where.substring(at + 1);
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("malformed PID '" + text + "': empty host");
    }
    if (!idText.startsWith("0x") || idText.length() < 3) {
      throw new IllegalArgumentException("malformed PID '" + text + "': id must be hex like 0x00004");
    }
    long id;
    try {
      id = Long.parseUnsignedLong(idText.substring(2), 16);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("malformed PID '" + text + "': id must be hex like 0x00004");
    }
    if (id <= 0) {
      throw new IllegalArgumentException("malformed PID '" + text + "': id must be positive");
    }
    return new Pid(node, host, id);
  }

  /** The id as the original prints it: 0x and lowercase hex, zero-padded to 5, 6, 8 or 16 digits. */
  public static String formatId(long id) {
    String hex = Long.toHexString(id);
    int width;
    if (Long.compareUnsigned(id, 0xFFFFFL) <= 0) {
      width = 5;
    } else if (Long.compareUnsigned(id, 0xFFFFFFL) <= 0) {
      width = 6;
    } else if (Long.compareUnsigned(id, 0xFFFFFFFFL) <= 0) {
      width = 8;
    } else {
      width = 16;
    }
    return "0x" + "0".repeat(Math.max(0, width - hex.length())) + hex;
  }

  @Override
  public String toString() {
    return "{" + (node.isEmpty() ? "" : node + "@") + host + "|" + formatId(id) + "}";
  }
}
