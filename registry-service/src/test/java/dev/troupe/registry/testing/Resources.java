package dev.troupe.registry.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test started, closed in reverse order when the test ends (a field marked {@code @AutoClose}):
 * clients before the registries they use, registries before etcd.
 */
public final class Resources implements AutoCloseable {
  private final List<AutoCloseable> opened = new ArrayList<>();

  public <T extends AutoCloseable> T add(T resource) {
    opened.add(resource);
    return resource;
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    for (AutoCloseable c : opened.reversed()) {
      try {
        c.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        }
      }
    }
    opened.clear();
    if (first != null) {
      throw first;
    }
  }
}
