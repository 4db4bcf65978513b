package dev.troupe.runtime.registry;

import dev.troupe.api.TroupeException;

/** Rules for registered names, shared by every directory so that all say the same thing. */
public final class Names {
  /** Longest name accepted, in UTF-8 bytes. */
  public static final int MAX_NAME_BYTES = 255;

  private Names() {}

  /** @throws TroupeException INVALID_ARGUMENT with what to fix */
  public static void validate(String name) {
    if (name == null || name.isEmpty()) {
      throw TroupeException.invalid("name must not be empty");
    }
    if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw TroupeException.invalid("name is longer than " + MAX_NAME_BYTES + " bytes");
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        throw TroupeException.invalid("name must not contain control characters (at index " + i + ")");
      }
    }
    if (name.startsWith("{")) {
      throw TroupeException.invalid("name must not start with '{': that is how PIDs are written");
    }
  }
}
