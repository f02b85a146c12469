package dev.elector.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.elector.EndReason;
import dev.elector.Leadership;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guard's lease never reaches past the term's deadline. A leader cut off from the service keeps a valid term
 * until its session deadline, which lies shortly before the service can expire the session; a lease of a third of
 * the session timeout renewed up to that instant let a COMMAND that ignores SIGTERM run a third of the timeout past
 * it, after a successor could be elected (the etcd backend keeps a term valid until 95% of the TTL).
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "runs setsid, bash and setpriv, reads /proc")
class GuardDeadlineTest {
  @TempDir Path tmp;
  private Guard guard;

  @AfterEach
  void stop() {
    if (guard != null) {
      guard.killNow();
    }
  }

  /** A term that reads valid until a fixed deadline and never learns otherwise: a cut-off session. */
  private record CutOffTerm(long deadline) implements Leadership {
    public String election() {
      return "e";
    }

    public String candidateId() {
      return "c";
    }

    public long token() {
      return 1;
    }

    public long startedNanos() {
      return 0;
    }

    public boolean isValid() {
      return deadline - System.nanoTime() > 0;
    }

    public long validUntilNanos() {
      return deadline;
    }

    public CompletionStage<EndReason> ended() {
      return new CompletableFuture<>();
    }
  }

  @Test
  void aCommandIgnoringSigtermIsGoneByTheTermsDeadline() throws Exception {
    ChildLauncher launcher = new ChildLauncher();
    assertThat(launcher.guarded()).as("setsid, bash, setpriv and /proc/uptime on this machine").isTrue();
    // Session 6 s: the lease is 2 s and the grace 0.5 s; the term's deadline comes 1.2 s from now.
    Guard.Timing timing = Guard.Timing.of(Duration.ofSeconds(6), Duration.ofMillis(500));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_200);
    Path pid = tmp.resolve("pid");
    String ignoresTerm = "trap '' TERM; echo $$ > " + pid + "; while :; do sleep 0.05; done";
    guard = launcher.start("test", List.of("bash", "-c", ignoresTerm), Map.of(), timing, new CutOffTerm(deadline));
    assertThat(guard).isNotNull();
    await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(pid) && !Files.readString(pid).isBlank());
    ProcessHandle command = ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).orElseThrow();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> !command.isAlive());
    long goneMillisAfterDeadline = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - deadline);
    // The guard's SIGKILL is due at the deadline at the latest; polled every 5 ms, room for a loaded machine. An
    // uncapped lease ends 2 s after the deadline.
    assertThat(goneMillisAfterDeadline).as("COMMAND gone %d ms after the term's deadline", goneMillisAfterDeadline)
        .isLessThan(300);
  }
}
