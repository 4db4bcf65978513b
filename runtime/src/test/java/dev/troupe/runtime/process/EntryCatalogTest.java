package dev.troupe.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.ProcessContext;
import dev.troupe.api.ProcessEntry;
import dev.troupe.api.TroupeException;
import java.util.List;
import org.junit.jupiter.api.Test;

class EntryCatalogTest {
  public static final class Hello implements ProcessEntry {
    @Override
    public Object main(ProcessContext process, List<Object> args) {
      return "hello";
    }
  }

  static final class Hidden implements ProcessEntry {
    public Hidden() {}

    @Override
    public Object main(ProcessContext process, List<Object> args) {
      return "hidden";
    }
  }

  public static final class NotAnEntry {}

  @Test
  void aClassEntryMakesAFreshInstanceForEverySpawn() {
    EntryCatalog catalog = new EntryCatalog().registerClass("app:hello", Hello.class.getName());

    ProcessEntry first = catalog.create("app:hello");
    ProcessEntry second = catalog.create("app:hello");

    assertThat(first).isInstanceOf(Hello.class);
    assertThat(second).isInstanceOf(Hello.class).isNotSameAs(first);
  }

  @Test
  void aClassThatCannotMakeAnEntryIsRefusedAtSpawnNamingTheEntryAndTheClass() {
    EntryCatalog catalog = new EntryCatalog()
        .registerClass("app:missing", "com.example.NoSuchWorker")
        .registerClass("app:other", NotAnEntry.class.getName())
        .registerClass("app:hidden", Hidden.class.getName());

    for (String id : List.of("app:missing", "app:other", "app:hidden")) {
      assertThatThrownBy(() -> catalog.create(id))
          .isInstanceOfSatisfying(TroupeException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
          .hasMessageContaining("entry '" + id + "'")
          .hasMessageContaining("not a ProcessEntry with a public no-argument constructor");
    }
  }

  @Test
  void anUnknownEntryIsNotFoundAndTheKnownOnesAreListed() {
    EntryCatalog catalog = new EntryCatalog().registerClass("app:hello", Hello.class.getName());

    assertThatThrownBy(() -> catalog.create("app:nope"))
        .isInstanceOfSatisfying(TroupeException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
        .hasMessageContaining("[app:hello]");
  }
}
