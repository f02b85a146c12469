package dev.elector.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Mistakes at the command line end in one clear line and a non-zero exit, never a stack trace. */
class UsageIT {
  private static final Duration BOUND = Duration.ofSeconds(30);
  @TempDir Path tmp;

  static Stream<Arguments> usageErrors() {
    String zk = "zookeeper://127.0.0.1:2181/x";
    return Stream.of(
        Arguments.of("no command", new String[] {}, "Missing command"),
        Arguments.of("unknown command", new String[] {"elect"}, "Unmatched argument"),
        Arguments.of("unknown flag", new String[] {"campaign", "--connect", zk, "--election", "e", "--bogus", "--",
            "true"}, "Unknown option: '--bogus'"),
        Arguments.of("no --connect", new String[] {"leader", "--election", "e"}, "Missing --connect URI"),
        Arguments.of("no --election", new String[] {"observe", "--connect", zk}, "--election"),
        Arguments.of("grace too long for the session timeout", new String[] {"campaign", "--connect",
            zk + "?sessionTimeout=3s", "--election", "e", "--grace", "1s", "--", "true"},
            "--grace 1s must be at most a sixth of the session timeout 3s (500ms)"),
        Arguments.of("grace not a duration", new String[] {"campaign", "--connect", zk, "--election", "e",
            "--grace", "soon", "--", "true"}, "'soon' is not a duration"),
        Arguments.of("no COMMAND", new String[] {"campaign", "--connect", zk, "--election", "e"}, "COMMAND"),
        Arguments.of("COMMAND not found", new String[] {"campaign", "--connect", zk, "--election", "e", "--",
            "no-such-program-here"}, "'no-such-program-here' is not an executable file on PATH"),
        Arguments.of("rounds not a number", new String[] {"demo", "--rounds", "x"}, "'x' is not an int"),
        Arguments.of("too few candidates", new String[] {"demo", "--candidates", "1"}, "--candidates 1"),
        Arguments.of("malformed URI", new String[] {"leader", "--connect", "localhost:2181", "--election", "e"},
            "URI 'localhost:2181' is invalid"),
        Arguments.of("bad election name", new String[] {"leader", "--connect", zk, "--election", "a/b"},
            "election name"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("usageErrors")
  void usageErrorsExitTwoWithOneLine(String what, String[] args, String expected) throws Exception {
    try (Elector e = Elector.run(tmp, "usage", BOUND, Map.of(), args)) {
      assertThat(e.exitCode()).as(e.err()).isEqualTo(2);
      assertOneLine(e, expected);
      assertThat(e.out()).isEmpty();
    }
  }

  @Test
  void unknownSchemeFailsInOneLine() throws Exception {
    try (Elector e = Elector.run(tmp, "scheme", BOUND, Map.of(), "leader", "--connect", "consul://127.0.0.1:8500/x",
        "--election", "e")) {
      assertThat(e.exitCode()).isEqualTo(1);
      assertOneLine(e, "No Elector backend serves scheme 'consul'");
    }
  }

  @Test
  void unreachableBackendFailsInOneLineWithinTheConnectTimeout() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    String uri = "zookeeper://127.0.0.1:" + closedPort + "/x?connectTimeout=2s";
    try (Elector e = Elector.run(tmp, "unreachable", BOUND, Map.of(), "participants", "--connect", uri,
        "--election", "e")) {
      assertThat(e.exitCode()).isEqualTo(1);
      assertOneLine(e, "elector participants: backend unavailable");
    }
  }

  @Test
  void connectComesFromTheEnvironment() throws Exception {
    try (Elector e = Elector.run(tmp, "env", BOUND, Map.of("ELECTOR_CONNECT", "consul://127.0.0.1:8500/x"),
        "leader", "--election", "e")) {
      assertThat(e.exitCode()).isEqualTo(1);
      assertOneLine(e, "scheme 'consul'");
    }
  }

  @Test
  void everyCommandHasHelp() throws Exception {
    for (String cmd : new String[] {"demo", "campaign", "leader", "observe", "participants", "server"}) {
      try (Elector e = Elector.run(tmp, "help-" + cmd, BOUND, Map.of(), cmd, "--help")) {
        assertThat(e.exitCode()).as(cmd).isZero();
        assertThat(e.out()).as(cmd).startsWith("Usage: elector " + cmd);
      }
    }
  }

  private static void assertOneLine(Elector e, String expected) throws IOException {
    assertThat(e.errLines()).as("stderr of %s", e).hasSize(1);
    assertThat(e.err()).startsWith("elector").contains(expected).doesNotContain("Exception").doesNotContain("\tat ");
  }
}
