package dev.elector.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Process liveness from /proc, where a zombie (killed, not yet reaped) counts as dead. */
final class Pids {
  private Pids() {}

  static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  static void kill(long pid) {
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }
}
