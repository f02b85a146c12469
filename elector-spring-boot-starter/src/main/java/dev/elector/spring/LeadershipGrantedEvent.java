package dev.elector.spring;

import dev.elector.Leadership;
import org.springframework.context.ApplicationEvent;

/** This application's candidate was elected: {@link #term()} is its new term. Its source is the {@link ElectorCandidate}. */
public class LeadershipGrantedEvent extends ApplicationEvent {
  private static final long serialVersionUID = 1L;
  private final transient Leadership term;

  public LeadershipGrantedEvent(ElectorCandidate source, Leadership term) {
    super(source);
    this.term = term;
  }

  /** The term granted; check {@link Leadership#isValid()} before acting on it, it may have ended meanwhile. */
  public Leadership term() {
    return term;
  }

  /** The term's fencing token. */
  public long token() {
    return term.token();
  }
}
