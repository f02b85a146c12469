package dev.elector.micrometer;

import dev.elector.ElectionClient;
import dev.elector.SessionState;
import dev.elector.Subscription;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The meters of one client's session: its state, and how often it was suspended or expired. */
final class SessionMeters {
  private final ElectorMetrics m;
  private final ElectionClient client;
  private final Tags tags;
  private final Counter suspensions;
  private final Counter expirations;
  private SessionState last;

  SessionMeters(ElectorMetrics m, ElectionClient client, Tags tags) {
    this.m = m;
    this.client = client;
    this.tags = tags.and("backend", client.config().scheme());
    this.suspensions = Counter.builder(ElectorMetrics.SESSION_SUSPENSIONS).tags(this.tags)
        .description("Times the session lost contact with the coordination service").register(m.registry);
    this.expirations = Counter.builder(ElectorMetrics.SESSION_EXPIRATIONS).tags(this.tags)
        .description("Times the session expired").register(m.registry);
  }

  Subscription start() {
    List<Gauge> gauges = new ArrayList<>();
    for (SessionState s : SessionState.values()) {
      gauges.add(Gauge.builder(ElectorMetrics.SESSION_STATE, client, c -> c.sessionState() == s ? 1 : 0)
          .tags(tags.and("state", s.name().toLowerCase(Locale.ROOT)))
          .description("1 for the session's state now, 0 for the others").strongReference(true)
          .register(m.registry));
    }
    Subscription sub = client.addSessionListener(Runnable::run, (state, id) -> changed(state));
    return () -> {
      sub.cancel();
      gauges.forEach(m.registry::remove);
    };
  }

  /** Counts transitions, not the state found at binding (the first call). */
  private synchronized void changed(SessionState state) {
    if (last != null && state != last) {
      if (state == SessionState.SUSPENDED) {
        suspensions.increment();
      } else if (state == SessionState.EXPIRED) {
        expirations.increment();
      }
    }
    last = state;
  }
}
