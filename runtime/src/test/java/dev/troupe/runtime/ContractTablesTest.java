package dev.troupe.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The attach stream's errors are written twice, in the comment of {@code AttachService.Attach} (the
 * contract) and in {@code docs/protocol.md} (the guide): both must name the same status codes, for the
 * errors of one request and for those that end the stream.
 */
class ContractTablesTest {
  private static final Pattern CODE = Pattern.compile("\\b(OK|CANCELLED|UNKNOWN|INVALID_ARGUMENT|DEADLINE_EXCEEDED|"
      + "NOT_FOUND|ALREADY_EXISTS|PERMISSION_DENIED|RESOURCE_EXHAUSTED|FAILED_PRECONDITION|ABORTED|OUT_OF_RANGE|"
      + "UNIMPLEMENTED|INTERNAL|UNAVAILABLE|DATA_LOSS|UNAUTHENTICATED)\\b");
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private static Set<String> codes(String text) {
    Set<String> out = new TreeSet<>();
    Matcher m = CODE.matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** The text between {@code from} and {@code to} (exclusive) in {@code text}. */
  private static String between(String text, String from, String to) {
    int a = text.indexOf(from);
    assertThat(a).as("'%s' in the file", from).isNotNegative();
    int b = text.indexOf(to, a + from.length());
    assertThat(b).as("'%s' after '%s'", to, from).isPositive();
    return text.substring(a + from.length(), b);
  }

  /** The codes at the start of comment lines ("//   CODE: ...") of the proto's Attach comment section. */
  private static Set<String> listedInProto(String section) {
    Set<String> out = new TreeSet<>();
    Matcher m = Pattern.compile("(?m)^\\s*//\\s+([A-Z_]+):").matcher(section);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  @Test
  void theAttachErrorsOfTheProtoAndOfProtocolMdAreTheSame() throws IOException {
    String proto = Files.readString(ROOT.resolve("proto/src/main/proto/troupe/node/v1/attach_service.proto"));
    String doc = Files.readString(ROOT.resolve("docs/protocol.md"));

    Set<String> protoRequest = listedInProto(between(proto, "Errors of one request", "Errors that end the stream"));
    Set<String> protoStream = listedInProto(between(proto, "Errors that end the stream", "rpc Attach("));

    String requestTable = between(doc, "| frame | fields | OK reply carries | errors in `reply.status` |", "\n\n");
    Set<String> docRequest = new TreeSet<>();
    for (String row : requestTable.split("\n")) {
      String[] cells = row.split("\\|");
      if (cells.length > 4) {
        docRequest.addAll(codes(cells[4]));
      }
    }
    String streamTable = between(doc, "These end the stream with a gRPC status", "\n\n## ");
    Set<String> docStream = new TreeSet<>();
    for (String row : streamTable.split("\n")) {
      if (row.startsWith("| `")) {
        docStream.addAll(codes(row.substring(0, row.indexOf('|', 2))));
      }
    }

    assertThat(protoRequest).as("codes of one request: the proto's comment, against protocol.md's table")
        .isNotEmpty().isEqualTo(docRequest);
    assertThat(protoStream).as("codes that end the stream: the proto's comment, against protocol.md's table")
        .isNotEmpty().isEqualTo(docStream);
  }
}
