package dev.elector.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** guard.sh on its own, fed by this test instead of elector: what it does with renewals, a lapse and a stop. */
@EnabledOnOs(value = OS.LINUX, disabledReason = "runs setsid and bash, reads /proc")
class GuardScriptTest {
  @TempDir Path tmp;
  private final List<Process> guards = new ArrayList<>();

  @AfterEach
  void stopGuards() {
    for (Process g : guards) {
      if (g.isAlive()) {
        Pids.signal(g.pid(), "CONT");
      }
      g.descendants().forEach(ProcessHandle::destroyForcibly);
      g.destroyForcibly();
    }
  }

  /** Starts the guard over {@code command}, with its first lease ending at {@code leaseEnd} (none if null). */
  private Process guard(long graceMs, Long leaseEnd, String command) throws IOException {
    String script;
    try (InputStream in = Guard.class.getResourceAsStream("guard.sh")) {
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Process g = new ProcessBuilder("setsid", "bash", "-c", script, "elector-guard", "test-guard",
        Long.toString(graceMs), "bash", "-c", command)
        .redirectErrorStream(true).redirectOutput(tmp.resolve("guard.out").toFile()).start();
    guards.add(g);
    if (leaseEnd != null) {
      g.getOutputStream().write((leaseEnd + "\n").getBytes(StandardCharsets.US_ASCII));
      g.getOutputStream().flush();
    }
    return g;
  }

  private long commandPid() throws Exception {
    Path pid = tmp.resolve("pid");
    await().atMost(Duration.ofSeconds(20)).until(() -> Files.exists(pid) && Files.readString(pid).endsWith("\n"));
    return Long.parseLong(Files.readString(pid).trim());
  }

  /** Renews the lease; does nothing once the guard is gone (the assertions then say why). */
  private static void renew(Process g, long leaseMs) {
    try {
      OutputStream out = g.getOutputStream();
      out.write((Guard.uptimeMillis() + leaseMs + "\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException gone) {
      // the guard exited
    }
  }

  @Test
  void commandStartsOnTheFirstRenewalOnly() throws Exception {
    Process g = guard(100, null, "echo $$ > '" + tmp.resolve("pid") + "'; exec sleep 100");
    g.getOutputStream().close(); // elector gone before its first renewal
    assertThat(g.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(g.exitValue()).isEqualTo(143);
    assertThat(tmp.resolve("pid")).as("COMMAND never started").doesNotExist();
  }

  @Test
  void renewalsWaitingInThePipeCountWhenTheGuardItselfWasHeldUp() throws Exception {
    long lease = 600;
    Process g = guard(100, Guard.uptimeMillis() + lease, "echo $$ > '" + tmp.resolve("pid") + "'; exec sleep 100");
    long command = commandPid();
    // The guard is held up (as by a busy machine) while elector renews on time; the renewals wait in the pipe.
    Pids.signal(g.pid(), "STOP");
    long end = System.nanoTime() + Duration.ofMillis(3 * lease).toNanos();
    while (System.nanoTime() - end < 0) {
      renew(g, lease);
      Thread.sleep(50);
    }
    Pids.signal(g.pid(), "CONT");
    for (int i = 0; i < 10; i++) {
      renew(g, lease);
      Thread.sleep(50);
    }
    assertThat(Pids.alive(command)).as("COMMAND; the guard said: %s", Files.readString(tmp.resolve("guard.out")))
        .isTrue();
    assertThat(g.isAlive()).isTrue();
  }

  @Test
  void withoutRenewalsTheGuardKillsCommandAndWhatItForkedByTheLeasesEnd() throws Exception {
    long lease = 1000;
    long leaseEnd = Guard.uptimeMillis() + lease;
    // COMMAND ignores SIGTERM (so only the SIGKILL ends it) and forks a child that leaves it.
    Process g = guard(300, leaseEnd, "trap '' TERM; (sleep 100 & echo $! > '" + tmp.resolve("child") + "'); "
        + "echo $$ > '" + tmp.resolve("pid") + "'; exec sleep 100");
    long command = commandPid();
    long child = Long.parseLong(Files.readString(tmp.resolve("child")).trim());
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5))
        .until(() -> !Pids.alive(command) && !Pids.alive(child));
    long lateMs = Guard.uptimeMillis() - leaseEnd;
    System.out.println("COMMAND and its child were gone " + lateMs + " ms after the lease's end (negative: before)");
    await().atMost(Duration.ofSeconds(10)).until(() -> !g.isAlive());
    assertThat(Files.readString(tmp.resolve("guard.out")))
        .contains("test-guard: lease ran out")
        .contains("test-guard: COMMAND still running after 300ms: SIGKILL");
  }
}
