package dev.elector.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/** A {@link LeaderOnly} method the proxy cannot guard fails startup; without a candidate, a guarded one never runs. */
class LeaderOnlyRulesTest {

  static class FinalMethod {
    @LeaderOnly
    public final void run() {}
  }

  static class PrimitiveResult {
    @LeaderOnly
    public int count() {
      return 1;
    }
  }

  static class Guarded {
    int runs;

    @LeaderOnly
    public String run() {
      runs++;
      return "ran";
    }

    public int runs() {
      return runs;
    }
  }

  private static AnnotationConfigApplicationContext context(Class<?> bean) {
    AnnotationConfigApplicationContext c = new AnnotationConfigApplicationContext();
    c.registerBean(LeaderOnlyPostProcessor.class);
    c.registerBean(bean);
    return c;
  }

  @Test
  void aFinalMethodIsRejectedNamingIt() {
    try (AnnotationConfigApplicationContext c = context(FinalMethod.class)) {
      assertThatThrownBy(c::refresh).isInstanceOf(BeanCreationException.class).rootCause()
          .hasMessageContaining("FinalMethod.run").hasMessageContaining("must not be final");
    }
  }

  @Test
  void aPrimitiveResultIsRejectedNamingIt() {
    try (AnnotationConfigApplicationContext c = context(PrimitiveResult.class)) {
      assertThatThrownBy(c::refresh).isInstanceOf(BeanCreationException.class).rootCause()
          .hasMessageContaining("PrimitiveResult.count").hasMessageContaining("must return void or an object");
    }
  }

  @Test
  void withoutACandidateTheMethodNeverRuns() {
    try (AnnotationConfigApplicationContext c = context(Guarded.class)) {
      c.refresh();
      Guarded g = c.getBean(Guarded.class);
      assertThat(g.run()).isNull();
      assertThat(g.runs()).isZero();
    }
  }
}
