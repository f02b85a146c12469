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

  interface Job {
    @LeaderOnly
    void run();
  }

  /** Inherits @LeaderOnly from its interface, and is final: the proxy could not guard it. */
  static class FinalImplementation implements Job {
    @Override
    public final void run() {}
  }

  /** Inherits @LeaderOnly from its interface. */
  static class Implementation implements Job {
    int runs;

    @Override
    public void run() {
      runs++;
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
  void aFinalMethodImplementingAnAnnotatedInterfaceMethodIsRejected() {
    try (AnnotationConfigApplicationContext c = context(FinalImplementation.class)) {
      assertThatThrownBy(c::refresh).isInstanceOf(BeanCreationException.class).rootCause()
          .hasMessageContaining("FinalImplementation.run").hasMessageContaining("must not be final");
    }
  }

  @Test
  void anImplementationOfAnAnnotatedInterfaceMethodIsGuarded() {
    try (AnnotationConfigApplicationContext c = context(Implementation.class)) {
      c.refresh();
      c.getBean(Job.class).run();
      assertThat(c.getBean(Implementation.class).runs).isZero();
    }
  }

  @Test
  void aReadyMadeSingletonWithALeaderOnlyMethodFailsStartupNamingIt() {
    try (AnnotationConfigApplicationContext c = new AnnotationConfigApplicationContext()) {
      c.registerBean(LeaderOnlyPostProcessor.class);
      c.getBeanFactory().registerSingleton("readyMade", new Guarded());
      assertThatThrownBy(c::refresh).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("'readyMade'").hasMessageContaining("would run on every instance");
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
