package dev.troupe.runtime.process;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.ProcessEntry;
import dev.troupe.api.TroupeException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
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

  /**
   * Registers a class by name, made with its public no-argument constructor. The class is loaded at
   * the first spawn, and its constructor kept: a spawn then costs no class lookup and no
   * caller-sensitive access check (a stack walk each).
   */
  public EntryCatalog registerClass(String id, String className) {
    return register(id, new ClassEntry(id, className));
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

  /** An entry made from a class named in the topology file; its constructor is resolved once. */
  private static final class ClassEntry implements Supplier<ProcessEntry> {
    private final String id;
    private final String className;
    private static final Object[] NO_ARGUMENTS = {}; // newInstance() would allocate one per spawn
    private volatile Constructor<? extends ProcessEntry> constructor;

    ClassEntry(String id, String className) {
      this.id = id;
      this.className = className;
    }

    @Override
    public ProcessEntry get() {
      try {
        Constructor<? extends ProcessEntry> c = constructor;
        if (c == null) {
          Class<? extends ProcessEntry> type = Class.forName(className).asSubclass(ProcessEntry.class);
          if (!Modifier.isPublic(type.getModifiers())) {
            throw new IllegalAccessException("the class is not public");
          }
          c = type.getConstructor();
          c.setAccessible(true); // public already: this only skips the per-call access check
          constructor = c;
        }
        return c.newInstance(NO_ARGUMENTS);
      } catch (ReflectiveOperationException | ClassCastException | SecurityException e) {
        throw new TroupeException(ErrorCode.FAILED_PRECONDITION, "entry '" + id + "' names class "
            + className + ", which is not a ProcessEntry with a public no-argument constructor: " + e);
      }
    }
  }
}
