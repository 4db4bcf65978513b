package dev.troupe.runtime.process;

import dev.troupe.runtime.api.ErrorCode;
import dev.troupe.runtime.api.ProcessEntry;
import dev.troupe.runtime.api.TroupeException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** Entries by id ({@code app:worker}) and how to make one instance per process. */
public final class EntryCatalog {
  private final Map<String, Supplier<? extends ProcessEntry>> entries = new ConcurrentHashMap<>();

  public EntryCatalog register(String id, Supplier<? extends ProcessEntry> factory) {
    entries.put(id, factory);
    return this;
  }

  /** Registers a class by name, made with its public no-argument constructor. */
  public EntryCatalog registerClass(String id, String className) {
    return register(id, () -> instantiate(id, className));
  }

  public boolean contains(String id) {
    return entries.containsKey(id);
  }

  public Set<String> ids() {
    return Set.copyOf(entries.keySet());
  }

  public ProcessEntry create(String id) {
    Supplier<? extends ProcessEntry> f = entries.get(id);
    if (f == null) {
      throw new TroupeException(ErrorCode.NOT_FOUND, "unknown entry '" + id + "'; known: "
          + new java.util.TreeSet<>(entries.keySet()));
    }
    return f.get();
  }

  private static ProcessEntry instantiate(String id, String className) {
    try {
      Class<?> c = Class.forName(className);
      return (ProcessEntry) c.getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new TroupeException(ErrorCode.FAILED_PRECONDITION, "entry '" + id + "' names class "
          + className + ", which is not a ProcessEntry with a public no-argument constructor: " + e);
    }
  }
}
