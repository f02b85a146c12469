package dev.elector.spi.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class ErrorsTest {
  @Test
  void unwrapsNestedFutureWrappersDownToTheCause() {
    IllegalStateException cause = new IllegalStateException("x");
    assertThat(Errors.unwrap(new CompletionException(new ExecutionException(cause)))).isSameAs(cause);
  }

  @Test
  void keepsAWrapperWithoutACauseAndAnythingElse() {
    CompletionException bare = new CompletionException("no cause", null);
    assertThat(Errors.unwrap(bare)).isSameAs(bare);
    RuntimeException wrapping = new RuntimeException(new IllegalStateException());
    assertThat(Errors.unwrap(wrapping)).isSameAs(wrapping);
    assertThat(Errors.unwrap(null)).isNull();
  }
}
