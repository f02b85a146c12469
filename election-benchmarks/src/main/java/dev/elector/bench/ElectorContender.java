package dev.elector.bench;

import dev.elector.Candidate;
import dev.elector.CandidateState;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.EndReason;
import dev.elector.Leadership;
import dev.elector.LeadershipListener;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Elector through its public API, on the backend the URI scheme names. */
final class ElectorContender implements Contender {
  private final String name;
  private final String scheme;
  private final String endpoint;
  private final Duration sessionTimeout;
  private final ElectionClient control;

  ElectorContender(String name, String scheme, String endpoint, Duration sessionTimeout) {
    this.name = name;
    this.scheme = scheme;
    this.endpoint = endpoint;
    this.sessionTimeout = sessionTimeout;
    this.control = Elections.connect(uri(endpoint));
  }

  String uri(String ep) {
    return scheme + "://" + ep + "/bench?sessionTimeout=" + sessionTimeout.toMillis() + "ms"
        + "&connectTimeout=10s&operationTimeout=3s";
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean elector() {
    return true;
  }

  @Override
  public Session session(String ep) {
    return new ElectorSession(Elections.connect(uri(ep)));
  }

  @Override
  public Session session() {
    return session(endpoint);
  }

  /** Through the API: the same read an operator would do. One extra read per ticket on some backends. */
  @Override
  public int lineSize(String election) throws Exception {
    return control.election(election).participants().toCompletableFuture().get(10, TimeUnit.SECONDS).size();
  }

  ElectionClient control() {
    return control;
  }

  @Override
  public void close() {
    control.close();
  }

  static final class ElectorSession implements Session {
    final ElectionClient client;

    ElectorSession(ElectionClient client) {
      this.client = client;
    }

    @Override
    public Member join(String election, String id, Elected onElected) {
      ElectorMember m = new ElectorMember(id);
      m.candidate = client.election(election).candidate(id).listener(Runnable::run, new LeadershipListener() {
        @Override
        public void elected(Leadership term) {
          long now = System.nanoTime();
          m.term.set(term);
          onElected.elected(m, now);
        }

        @Override
        public void revoked(Leadership term, EndReason reason) {
          m.term.compareAndSet(term, null);
        }
      }).join();
      return m;
    }

    @Override
    public long sessionId() {
      return client.sessionId();
    }

    @Override
    public void close() {
      client.close();
    }
  }

  static final class ElectorMember implements Member {
    private final String id;
    final AtomicReference<Leadership> term = new AtomicReference<>();
    volatile Candidate candidate;

    ElectorMember(String id) {
      this.id = id;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public void close() {
      candidate.closeAsync();
    }

    @Override
    public void resign() {
      candidate.resign();
    }

    @Override
    public boolean leads() {
      Leadership t = term.get();
      return t != null && t.isValid();
    }

    @Override
    public boolean joined() {
      Candidate c = candidate;
      return c != null && c.state() != CandidateState.JOINING;
    }
  }
}
