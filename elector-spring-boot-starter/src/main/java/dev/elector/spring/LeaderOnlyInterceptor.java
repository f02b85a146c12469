package dev.elector.spring;

import dev.elector.Leadership;
import java.util.Optional;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.beans.factory.ObjectProvider;

/** Proceeds with a {@link LeaderOnly} call only under a valid term, bound in {@link LeaderContext} meanwhile. */
final class LeaderOnlyInterceptor implements MethodInterceptor {
  private static final System.Logger LOG = System.getLogger(LeaderOnlyInterceptor.class.getName());

  private final ObjectProvider<ElectorCandidate> candidate;

  LeaderOnlyInterceptor(ObjectProvider<ElectorCandidate> candidate) {
    this.candidate = candidate;
  }

  @Override
  public Object invoke(MethodInvocation invocation) throws Throwable {
    ElectorCandidate c = candidate.getIfAvailable();
    Optional<Leadership> term = c == null ? Optional.empty() : c.validTerm();
    if (term.isEmpty()) {
      LOG.log(System.Logger.Level.TRACE, () -> "Skipped @LeaderOnly " + invocation.getMethod()
          + (c == null ? ": no elector candidate configured (elector.election)" : ": not the leader"));
      return null;
    }
    Leadership previous = LeaderContext.bind(term.get());
    try {
      return invocation.proceed();
    } finally {
      LeaderContext.restore(previous);
    }
  }
}
