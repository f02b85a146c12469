package dev.elector.cli;

import dev.elector.spi.support.Errors;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Blocking on the API's stages from a command's main thread, always with a timeout. */
final class Stages {
  private Stages() {}

  static <T> T await(CompletionStage<T> stage, Duration timeout, String what) throws InterruptedException {
    try {
      return stage.toCompletableFuture().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = Errors.unwrap(e);
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new Failure(Main.EXIT_FAILURE, what + " failed: " + cause, cause);
    } catch (TimeoutException e) {
      throw new Failure(Main.EXIT_FAILURE, what + " did not answer within " + DurationConverter.format(timeout));
    }
  }
}
