package dev.elector.cli;

/** Ends a command with one line on stderr and the given exit code; never shows a stack trace unless --verbose. */
final class Failure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  Failure(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  Failure(int exitCode, String message, Throwable cause) {
    super(message, cause);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
