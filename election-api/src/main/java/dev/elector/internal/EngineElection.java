package dev.elector.internal;

import dev.elector.Candidate;
import dev.elector.Election;
import dev.elector.LeaderObserver;
import dev.elector.LeadershipListener;
import dev.elector.Participant;
import dev.elector.Subscription;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** A cheap handle on one election of one client. */
final class EngineElection implements Election {
  private final EngineClient client;
  private final String name;

  EngineElection(EngineClient client, String name) {
    this.client = client;
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Candidate.Builder candidate(String candidateId) {
    Checks.candidateId(candidateId);
    client.checkOpen();
    return new Builder(candidateId);
  }

  @Override
  public CompletionStage<Optional<Participant>> leader() {
    client.checkOpen();
    return client.toApplication(client.backend().line(name)
        .thenApply(line -> line.isEmpty() ? Optional.<Participant>empty() : Optional.of(line.get(0))));
  }

  @Override
  public CompletionStage<List<Participant>> participants() {
    client.checkOpen();
    return client.toApplication(client.backend().line(name).thenApply(List::copyOf));
  }

  @Override
  public Subscription observe(Executor executor, LeaderObserver observer) {
    Objects.requireNonNull(executor, "executor");
    Objects.requireNonNull(observer, "observer");
    client.checkOpen();
    Observation.Sub sub = new Observation.Sub(new SerialExecutor(executor), observer);
    client.post(() -> client.observation(name).add(sub), () -> {});
    return () -> {
      if (sub.cancelled) {
        return;
      }
      sub.cancelled = true;
      client.post(() -> client.observation(name).remove(sub), () -> {});
    };
  }

  @Override
  public String toString() {
    return "Election[" + name + "]";
  }

  private record Registration(Executor executor, LeadershipListener listener) {}

  private final class Builder implements Candidate.Builder {
    private final String id;
    private byte[] data = new byte[0];
    private final List<Registration> listeners = new ArrayList<>();

    Builder(String id) {
      this.id = id;
    }

    @Override
    public Candidate.Builder data(byte[] bytes) {
      this.data = Checks.data(bytes, client.config().maxDataBytes());
      return this;
    }

    @Override
    public Candidate.Builder data(String text) {
      Objects.requireNonNull(text, "data");
      return data(text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Candidate.Builder listener(Executor executor, LeadershipListener listener) {
      Objects.requireNonNull(executor, "executor");
      Objects.requireNonNull(listener, "listener");
      listeners.add(new Registration(executor, listener));
      return this;
    }

    @Override
    public Candidate join() {
      client.checkOpen();
      EngineCandidate c = new EngineCandidate(client, name, id, data);
      for (Registration r : listeners) {
        c.addInitialListener(r.executor(), r.listener());
      }
      client.register(c);
      return c;
    }
  }
}
