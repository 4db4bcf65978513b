package dev.troupe.runtime.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class ServiceCommandLineTest {

  @Command(name = "some-service", mixinStandardHelpOptions = true)
  static class SomeService implements Callable<Integer> {
    @Option(names = "--port", description = "The port it listens on.")
    int port;
    @Option(names = "--heap-mb", description = "Its heap.")
    int heapMb = 64;

    @Override
    public Integer call() {
      if (heapMb < 32) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--heap-mb must be at least 32; got " + heapMb);
      }
      return 0;
    }
  }

  @Test
  void aUsageErrorSaysWhatIsWrongAndWhereTheOptionsAreWithoutListingThem() {
    StringWriter err = new StringWriter();

    int code = ServiceCommandLine.execute(new SomeService(), new PrintWriter(err), "--prot=7400");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("some-service: Unknown option: '--prot=7400'")
        .contains("some-service: --help lists its options")
        .doesNotContain("The port it listens on.");
  }

  @Test
  void aValueRefusedByTheServiceItselfIsAUsageErrorToo() {
    StringWriter err = new StringWriter();

    int code = ServiceCommandLine.execute(new SomeService(), new PrintWriter(err), "--heap-mb", "8");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).startsWith("some-service: --heap-mb must be at least 32; got 8")
        .doesNotContain("Its heap.");
  }

  @Test
  void goodOptionsRunTheService() {
    StringWriter err = new StringWriter();

    assertThat(ServiceCommandLine.execute(new SomeService(), new PrintWriter(err), "--port", "7400")).isZero();
    assertThat(err.toString()).isEmpty();
  }
}
