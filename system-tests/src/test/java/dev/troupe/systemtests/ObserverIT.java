package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.client.AttachedProcess;
import dev.troupe.systemtests.Topology.Run;
import dev.troupe.systemtests.Topology.Service;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Troupe Observer in a real browser: Debian's chromium, driven by playwright-core
 * ({@code src/test/observer/observer-check.mjs}), opens the page with the address
 * {@code troupe observer} prints, sees the relay, and sees an echo's worker spawn and exit.
 */
class ObserverIT {
  private static final Path PLAYWRIGHT = Topology.repoRoot().resolve(".cache/playwright");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @RegisterExtension
  static final Topology topology = Topology.named("observer").withObserver()
      .onlyIf(ObserverIT::browserAvailable, "skipped: needs /usr/bin/chromium (apt-get install chromium) and"
          + " playwright-core in .cache/playwright (scripts/test.sh installs it with npm)")
      .build();

  /** In CI a missing browser is a failure, not a skip: .ci/run and scripts/test.sh install it. */
  static boolean browserAvailable() {
    boolean there = Files.isExecutable(CHROMIUM) && Files.isDirectory(PLAYWRIGHT.resolve("node_modules/playwright-core"));
    if (!there && "true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI must run the Observer's browser test: chromium or playwright-core is missing");
    }
    return there;
  }

  @Test
  void thePageShowsTheRelayAndAnEchosWorkerSpawnAndExitWithinASecond() throws Exception {
    topology.awaitEchoWorks(Duration.ofSeconds(60));
    Run observer = topology.troupe("observer");
    assertThat(observer.exitCode()).as(observer.describe()).isZero();
    String url = observer.stdout().strip();
    assertThat(url).as("what `troupe observer` prints").startsWith("http://127.0.0.1:").contains("?token=");
    Path screenshot = Path.of("target", "observer.png").toAbsolutePath();
    Files.deleteIfExists(screenshot);

    ProcessBuilder pb = new ProcessBuilder("node",
        Path.of("src/test/observer/observer-check.mjs").toAbsolutePath().toString(), url, screenshot.toString())
        .redirectErrorStream(true);
    pb.environment().put("TROUPE_PLAYWRIGHT", PLAYWRIGHT.toString());
    Process browser = pb.start();
    List<String> output = new ArrayList<>();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(browser.getInputStream(), StandardCharsets.UTF_8));
      assertThat(lineStartingWith(out, "READY", output, Duration.ofSeconds(60)))
          .as("the page shows the relay (browser said: %s)", output).isTrue();

      // when: an echo is answered
      AttachedProcess client = topology.attach(Service.RELAY);
      assertThat(Topology.echo(client, "observed", 1, Duration.ofSeconds(10))).isPresent();
      try (OutputStream in = browser.getOutputStream()) {
        in.write("sent\n".getBytes(StandardCharsets.UTF_8));
      }

      // then: the worker's spawn and EXIT appear in the page's feed within a second of it
      assertThat(lineStartingWith(out, "OK", output, Duration.ofSeconds(30))).as("browser said: %s", output).isTrue();
      String ok = output.get(output.size() - 1);
      System.out.printf("OBSERVER the page showed the worker's spawn and EXIT: %s (screenshot %s)%n", ok, screenshot);
      assertThat(Integer.parseInt(ok.replaceAll(".*spawn_ms=(\\d+).*", "$1"))).as(ok).isLessThan(1000);
      assertThat(Integer.parseInt(ok.replaceAll(".*exit_ms=(\\d+).*", "$1"))).as(ok).isLessThan(1000);
      assertThat(browser.waitFor(30, TimeUnit.SECONDS)).as("the browser script ended").isTrue();
      assertThat(browser.exitValue()).as("browser said: %s", output).isZero();
      assertThat(Files.size(screenshot)).as("the screenshot").isGreaterThan(10_000);
    } finally {
      browser.descendants().forEach(ProcessHandle::destroyForcibly);
      browser.destroyForcibly();
      browser.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void withoutTheSecretThePageAndTheDataAreRefused() throws Exception {
    String url = topology.troupe("observer").stdout().strip();
    String base = url.substring(0, url.indexOf("/?token="));
    try (var http = java.net.http.HttpClient.newHttpClient()) {
      for (String path : List.of("/", "/api/state", "/api/events")) {
        var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + path))
            .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(401);
        assertThat(r.body()).as(path).contains("?token=");
      }
      var wrong = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/?token=wrong"))
          .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(wrong.statusCode()).as("a wrong token").isEqualTo(401);
      assertThat(wrong.headers().firstValue("Set-Cookie")).as("a wrong token gets no cookie").isEmpty();
    }
  }

  /** Reads lines until one starts with {@code prefix} (true) or the stream ends or time is up (false). */
  private static boolean lineStartingWith(BufferedReader out, String prefix, List<String> seen, Duration within)
      throws Exception {
    CompletableFuture<Boolean> found = CompletableFuture.supplyAsync(() -> {
      try {
        for (String line; (line = out.readLine()) != null; ) {
          seen.add(line);
          if (line.startsWith(prefix)) {
            return true;
          }
        }
        return false;
      } catch (IOException e) {
        return false;
      }
    });
    return found.get(within.toMillis(), TimeUnit.MILLISECONDS);
  }
}
