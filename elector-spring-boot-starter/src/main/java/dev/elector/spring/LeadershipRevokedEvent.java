package dev.elector.spring;

import dev.elector.EndReason;
import dev.elector.Leadership;
import org.springframework.context.ApplicationEvent;

/** A term of this application's candidate ended, for {@link #reason()}. Its source is the {@link ElectorCandidate}. */
public class LeadershipRevokedEvent extends ApplicationEvent {
  private static final long serialVersionUID = 1L;
  private final transient Leadership term;
  private final EndReason reason;

  public LeadershipRevokedEvent(ElectorCandidate source, Leadership term, EndReason reason) {
    super(source);
    this.term = term;
    this.reason = reason;
  }

  /** The term that ended. */
  public Leadership term() {
    return term;
  }

  /** The ended term's fencing token. */
  public long token() {
    return term.token();
  }

  /** Why the term ended. */
  public EndReason reason() {
    return reason;
  }
}
