package dev.troupe.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.systemtests.Topology.Run;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Echo CLI on a terminal: scripts/cli-client run on a pseudo-terminal ({@code script} from
 * util-linux, which .ci/run installs), typed lines fed through it, an empty line to leave.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EchoPtyIT {
  private static final String GREEN = "\u001b[32m";
  private static final String CYAN = "\u001b[36m";
  /** Any SGR (colour/style) sequence; JLine's own mode sequences (ESC[?2004h ...) are not colours. */
  private static final Pattern SGR = Pattern.compile("\u001b\\[[0-9;]*m");
  @RegisterExtension
  static final Topology topology = Topology.named("echo-pty").build();

  @BeforeAll
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  static void topologyAnswersEchoes() {
    topology.awaitEchoWorks(Duration.ofSeconds(60));
  }

  @Test
  void onATerminalTheReplyArrivesInGreenAndTheBannerInCyan() {
    // given: the topology answers echoes (checked before each test)

    // when
    Run cli = topology.cliOnTerminal("hello pty\n\n", Map.of("TERM", "xterm"), Duration.ofSeconds(30));

    // then
    assertThat(cli.exitCode()).as(cli.describe()).isZero();
    assertThat(cli.stdout()).as(cli.describe())
        .contains(CYAN + "Echo Client")
        .contains(GREEN + "  HELLO PTY")
        .containsPattern("from worker: \\{app:processes\\|0x[0-9a-f]{5,}\\}")
        .contains("Goodbye!");
  }

  @Test
  void onATerminalWithNoColorSetTheReplyArrivesWithoutColours() {
    // given: the topology answers echoes (checked before each test)

    // when
    Run cli = topology.cliOnTerminal("hello pty\n\n", Map.of("TERM", "xterm", "NO_COLOR", "1"),
        Duration.ofSeconds(30));

    // then
    assertThat(cli.exitCode()).as(cli.describe()).isZero();
    assertThat(cli.stdout()).as(cli.describe())
        .contains("Echo Client")
        .contains("  HELLO PTY")
        .containsPattern("from worker: \\{app:processes\\|0x[0-9a-f]{5,}\\}")
        .contains("Goodbye!");
    assertThat(SGR.matcher(cli.stdout()).results().map(m -> m.group().replace("\u001b", "ESC")).toList())
        .as("colour codes with NO_COLOR set\n" + cli.describe()).isEmpty();
  }
}
