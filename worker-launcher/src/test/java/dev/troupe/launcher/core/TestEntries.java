package dev.troupe.launcher.core;

import dev.troupe.api.ProcessContext;
import dev.troupe.api.ProcessEntry;
import dev.troupe.api.ProcessFailure;
import java.time.Duration;
import java.util.List;

/** Entries the launcher tests run in real worker JVMs. */
public final class TestEntries {
  private TestEntries() {}

  /** Replies its JVM's OS pid to args[0] on topic "jvm", then sleeps args[1] ms and returns "done". */
  public static final class ReportAndSleep implements ProcessEntry {
    @Override
    public Object main(ProcessContext p, List<Object> args) throws Exception {
      p.send(ProcessContext.string(args, 0), "jvm", ProcessHandle.current().pid());
      p.sleep(Duration.ofMillis(((Number) args.get(1)).longValue()));
      return "done";
    }
  }

  /**
   * Reports to args[0] on topic "settings" what its JVM runs with: its collectors' names under "gc",
   * and the system property named args[1] under "property".
   */
  public static final class ReportJvmSettings implements ProcessEntry {
    @Override
    public Object main(ProcessContext p, List<Object> args) throws Exception {
      List<String> gc = java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
          .map(java.lang.management.GarbageCollectorMXBean::getName).toList();
      String property = String.valueOf(System.getProperty(ProcessContext.string(args, 1)));
      p.send(ProcessContext.string(args, 0), "settings", java.util.Map.of("gc", gc, "property", property));
      return "done";
    }
  }

  /** Reports its JVM pid to args[0] and then fails. */
  public static final class ReportAndFail implements ProcessEntry {
    @Override
    public Object main(ProcessContext p, List<Object> args) throws Exception {
      p.send(ProcessContext.string(args, 0), "jvm", ProcessHandle.current().pid());
      throw new ProcessFailure("deliberate failure");
    }
  }

  /** Reports its JVM pid to the name in args[0], then returns normally. */
  public static final class ReportToNameAndReturn implements ProcessEntry {
    @Override
    public Object main(ProcessContext p, List<Object> args) throws Exception {
      p.send(ProcessContext.string(args, 0), "started", p.pid());
      return "bye";
    }
  }

  /** Reports to the name in args[0], then fails: a crashing service. */
  public static final class ReportToNameAndFail implements ProcessEntry {
    @Override
    public Object main(ProcessContext p, List<Object> args) throws Exception {
      p.send(ProcessContext.string(args, 0), "started", p.pid());
      throw new ProcessFailure("service crashed");
    }
  }

  /**
   * Reports its JVM pid to args[0] on topic "jvm", then answers every message with "pong" and the
   * same payload until it is sent "stop" (returns "stopped").
   */
  public static final class Answer implements ProcessEntry {
    @Override
    public Object main(ProcessContext p, List<Object> args) throws Exception {
      p.send(ProcessContext.string(args, 0), "jvm", ProcessHandle.current().pid());
      while (true) {
        var r = p.inbox().receive();
        if (!r.ok() || r.value().topic().equals("stop")) {
          return "stopped";
        }
        p.send(r.value().from(), "pong", r.value().payload());
      }
    }
  }

  /** Reports its JVM pid to args[0], then throws a RuntimeException: a bug in user code. */
  public static final class Throw implements ProcessEntry {
    @Override
    public Object main(ProcessContext p, List<Object> args) throws Exception {
      p.send(ProcessContext.string(args, 0), "jvm", ProcessHandle.current().pid());
      throw new IllegalStateException("deliberate bug");
    }
  }

  /** Reports its JVM pid to args[0], then spins on the CPU, never blocking, for args[1] ms. */
  public static final class Spin implements ProcessEntry {
    @Override
    public Object main(ProcessContext p, List<Object> args) throws Exception {
      p.send(ProcessContext.string(args, 0), "jvm", ProcessHandle.current().pid());
      long end = System.nanoTime() + ((Number) args.get(1)).longValue() * 1_000_000;
      long x = 0;
      while (System.nanoTime() < end) {
        x++;
      }
      return x > 0 ? "spun" : "none";
    }
  }
}
