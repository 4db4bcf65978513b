package dev.troupe.lua;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.api.Event;
import dev.troupe.api.ExitResult;
import dev.troupe.api.Message;
import dev.troupe.api.channel.Received;
import dev.troupe.client.AttachedProcess;
import dev.troupe.examples.echo.EchoWorker;
import dev.troupe.runtime.process.EntryCatalog;
import dev.troupe.runtime.testing.TestCluster;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The process semantics, for Lua processes: each script in src/test/resources/lua checks one rule from
 * inside a Lua process and returns {@code true}, or {@code false, "why"}; the test runs it on an in-JVM
 * node and reads its EXIT. Where the rule is about what another process sees (a Java sender, a
 * terminated loop), the test checks it from Java.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LuaSemanticsTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String HOST = "app:n1";
  private static final List<String> ALL = List.of(LuaModules.PROCESS, LuaModules.TIME, LuaModules.CHANNEL,
      LuaModules.LOGGER);

  private TestCluster cluster;
  private AttachedProcess client;

  @BeforeEach
  void start() {
    EntryCatalog catalog = new EntryCatalog().register("app:java-worker", EchoWorker::new);
    for (String name : List.of("send_order", "select_time", "coroutines", "monitors", "child", "links",
        "linked_parent", "names", "ask_java", "meddler", "innocent", "spin", "dialect", "xpcall_spin", "errors")) {
      LuaEntry entry = new LuaEntry(LuaScript.compile("lua:" + name, name + ".lua", resource(name), "main", ALL),
          null, Duration.ofMillis(300));
      catalog.register("lua:" + name, () -> entry);
    }
    LuaEntry worker = new LuaEntry(tutorialWorker(), null);
    catalog.register("app:worker", () -> worker);
    cluster = new TestCluster(catalog);
    cluster.startNode("n1");
    client = cluster.attachLocal("n1");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  static LuaScript tutorialWorker() {
    try {
      return LuaScript.load("app:worker", Path.of("../examples/echo-lua/src/worker.lua"), "main",
          List.of(LuaModules.PROCESS, LuaModules.TIME));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String resource(String name) {
    try (InputStream in = LuaSemanticsTest.class.getResourceAsStream("/lua/" + name + ".lua")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Spawns {@code entry} monitored and returns how it ended. */
  private ExitResult run(String entry, Object... args) throws InterruptedException {
    String pid = client.spawnMonitored(entry, HOST, args);
    return exitOf(pid);
  }

  private ExitResult exitOf(String pid) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Received<Event>> e = client.events().receive(Duration.ofNanos(deadline - System.nanoTime()));
      if (e.isPresent() && e.get().value().kind() == Event.Kind.EXIT && e.get().value().from().equals(pid)) {
        return e.get().value().result();
      }
    }
    throw new AssertionError("no EXIT from " + pid + " within " + WAIT);
  }

  private static void assertPassed(ExitResult r) {
    assertThat(r.error()).as("the script's own check failed").isNull();
    assertThat(r.value()).isEqualTo(true);
  }

  @Test
  void messagesFromOneSenderArriveInOrderAndListenersTakeTheirTopics() throws Exception {
    assertPassed(run("lua:send_order"));
  }

  @Test
  void selectTakesTheFirstReadyCaseAndTimersFireOnce() throws Exception {
    assertPassed(run("lua:select_time"));
  }

  @Test
  void coroutinesShareTheProcessAndEndWithMain() throws Exception {
    ExitResult r = run("lua:coroutines");
    assertThat(r.error()).isNull();
    assertThat(r.value()).isEqualTo("done");
  }

  @Test
  void pcallAndXpcallCatchErrorsAsLuaDoes() throws Exception {
    assertPassed(run("lua:errors"));
  }

  @Test
  void aMonitorGetsOneExitPerChildWithItsResultOrError() throws Exception {
    assertPassed(run("lua:monitors", "lua:child"));
  }

  @Test
  void aTrappingProcessGetsLinkDownFromAFailedLinkedChild() throws Exception {
    assertPassed(run("lua:links", "lua:child"));
  }

  @Test
  void withoutTrappingALinkedChildsFailureEndsTheParent() throws Exception {
    ExitResult r = run("lua:linked_parent", "lua:child");
    assertThat(r.error()).isEqualTo("linked process failed");
  }

  @Test
  void namesAreRegisteredLookedUpAndReleased() throws Exception {
    client.registry().register("taken-by-java");
    assertPassed(run("lua:names", "taken-by-java"));
  }

  @Test
  void anErrorRaisedInMainEndsTheProcessWithItsMessageAndAReturnedErrorToo() throws Exception {
    assertThat(run("lua:child", "fail", "boom").error()).isEqualTo("child.lua:6: boom");
    assertThat(run("lua:child", "fail_soft", "soft").error()).isEqualTo("soft");
    ExitResult zero = run("lua:child", "return_zero", "value");
    assertThat(zero.error()).as("only a message or an error object as second result is an error").isNull();
    assertThat(zero.value()).isEqualTo("value");
    assertThat(run("lua:child", "return", Map.of("k", List.of(1L, 2.5, "s"))).value())
        .isEqualTo(Map.of("k", List.of(1L, 2.5, "s")));
  }

  @Test
  void theTutorialsLuaWorkerAnswersAJavaSender() throws Exception {
    String worker = client.spawn("app:worker", HOST, client.pid(), "hello from java");

    Optional<Received<Message>> m = client.inbox().receive(WAIT);

    assertThat(m).isPresent();
    assertThat(m.get().value().topic()).isEqualTo("echo_response");
    assertThat(m.get().value().from()).isEqualTo(worker);
    assertThat(m.get().value().payload()).isEqualTo(Map.of("data", "HELLO FROM JAVA", "worker", worker));
  }

  @Test
  void aJavaWorkerAnswersALuaSender() throws Exception {
    ExitResult r = run("lua:ask_java", "app:java-worker", "from lua");

    assertThat(r.error()).isNull();
    @SuppressWarnings("unchecked")
    Map<String, Object> answer = (Map<String, Object>) r.value();
    assertThat(answer).containsEntry("data", "FROM LUA");
    assertThat(answer.get("worker")).isEqualTo(answer.get("from")).asString().startsWith("{app:n1|");
  }

  @Test
  void aProcessCannotReachBeyondItsOwnState() throws Exception {
    ExitResult meddler = run("lua:meddler");
    assertThat(meddler.error()).isNull();
    @SuppressWarnings("unchecked")
    Map<String, Object> refused = (Map<String, Object>) meddler.value();
    assertThat(refused).containsOnlyKeys("io", "debug", "luajava", "dofile", "string_meta", "binary_load",
        "require_unlisted", "text_load", "shared_library", "own_override", "os_clock_only", "rep_bounded",
        "unpack_bounded", "no_shared_random");
    assertThat(refused).allSatisfy((check, held) -> assertThat(held).as(check).isEqualTo(true));

    ExitResult innocent = run("lua:innocent");

    assertThat(innocent.value()).isEqualTo(Map.of("upper", "ABC", "method", "ABC", "global", "nil"));
  }

  @Test
  void anEndlessLoopCanBeTerminatedWhileOtherProcessesGoOn() throws Exception {
    List<String> spinners = new ArrayList<>();
    for (int i = 0; i < 4; i++) { // more than the carriers of a 2-core machine
      spinners.add(client.spawnMonitored("lua:spin", HOST));
    }
    spinners.add(client.spawnMonitored("lua:xpcall_spin", HOST)); // looping where LuaJ caught everything

    // Other processes still run while the loops spin.
    assertPassed(run("lua:select_time"));

    for (String s : spinners) {
      client.terminate(s);
    }
    for (String s : spinners) {
      assertThat(exitOf(s).error()).isEqualTo("process terminated");
    }
  }

  @Test
  void whereDialectsDifferTroupeBehavesAsDocumented() throws Exception {
    ExitResult r = run("lua:dialect");

    assertThat(r.error()).isNull();
    assertThat(r.value()).isEqualTo(Map.ofEntries(
        Map.entry("upper_ascii", "HELLO"),
        Map.entry("upper_utf8", "ÜNÏCODE 你好"), // Unicode-aware, as Go's strings.ToUpper in the original
        Map.entry("lower_utf8", "ünïcode"),
        Map.entry("method_upper", "STRASSE"),
        Map.entry("len_utf8", 6L), // # counts bytes
        Map.entry("division", 3.5),
        Map.entry("whole_division", "2"), // a whole float prints without ".0" (Lua 5.2)
        Map.entry("floor", 3L),
        Map.entry("big", "9007199254740992"),
        Map.entry("float_text", "0.1"),
        Map.entry("huge_text", "1.0E20"), // LuaJ's tostring; string.format("%g") gives 1e+20
        Map.entry("format_d", "42"),
        Map.entry("format_5d", "[   42]"),
        Map.entry("format_g", "0.333"),
        Map.entry("holes", 2L), // # of a table with holes: one of its borders
        Map.entry("integer_division_compiles", false))); // // is Lua 5.3: use math.floor(a / b)
  }
}
