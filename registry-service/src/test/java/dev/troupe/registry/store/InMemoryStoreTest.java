package dev.troupe.registry.store;

import dev.troupe.runtime.registry.InMemoryDirectory;
import dev.troupe.runtime.registry.RegistryStore;

/** The store contract in one registry's memory, the default on one machine. */
class InMemoryStoreTest extends RegistryStoreContract {
  private final InMemoryDirectory store = new InMemoryDirectory();

  @Override
  protected RegistryStore store() {
    return store;
  }

  @Override
  protected RegistryStore replica() {
    return store;
  }
}
