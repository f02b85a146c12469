package dev.elector.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Leadership;
import dev.elector.tck.History;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 on a real three-member ensemble, every term recorded by the TCK's {@link History}: kill the member that
 * leads the ensemble while candidates hand over in a loop, restart it, kill a follower, then lose quorum (two of three
 * down) and regain it. While quorum is gone every term must turn invalid within one session timeout (rule 1.3: no
 * candidate stays leader past its session deadline); afterwards the election must recover by itself. The history
 * check (no overlap, tokens increasing, callbacks alternating) must pass at the end.
 */
class ZkEnsembleFaultTest {
  private static final Duration SESSION = Duration.ofSeconds(2);
  /** Liveness bound for "a leader again": a session timeout for expiries plus room for a loaded machine. */
  private static final Duration RECOVERY = SESSION.plusSeconds(15);
  private static final String ELECTION = "ensemble";

  private ZkTestEnsemble ensemble;
  private History history;
  private final List<ElectionClient> clients = new ArrayList<>();
  private final Map<String, Candidate> candidates = new LinkedHashMap<>();
  private final AtomicBoolean driving = new AtomicBoolean();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicInteger resigns = new AtomicInteger();
  private Thread driver;

  @BeforeEach
  void start() throws Exception {
    ensemble = ZkTestEnsemble.start(3);
    history = new History();
  }

  @AfterEach
  void stop() throws Exception {
    stop.set(true);
    if (driver != null) {
      driver.join(10_000);
    }
    candidates.values().forEach(Candidate::close);
    clients.forEach(ElectionClient::close);
    history.close();
    ensemble.close();
  }

  @Test
  void leaderFollowerAndQuorumLossKeepOneLeaderAndRecover() throws Exception {
    ClientConfig config = ClientConfig.builder("zookeeper").endpoints(ensemble.endpoints()).root("/ensemble")
        .sessionTimeout(SESSION).connectTimeout(Duration.ofSeconds(10)).operationTimeout(Duration.ofSeconds(5))
        .build();
    for (int i = 0; i < 3; i++) {
      clients.add(Elections.connect(config));
    }
    for (int i = 0; i < 4; i++) {
      String label = "c" + i;
      candidates.put(label, clients.get(i % 3).election(ELECTION).candidate(label)
          .listener(history.callbackExecutor(), history.listener(ELECTION, label)).join());
    }
    awaitValidLeader("initial election");
    startHandoffLoop();

    // 1. The ensemble's leader dies while candidates are handing over.
    awaitResigns(3);
    int zkLeader = leaderMember().orElseThrow(() -> new AssertionError("no ensemble member reports Mode: leader"));
    ensemble.stopMember(zkLeader);
    double afterLeaderKill = awaitValidLeader("after killing ensemble leader member " + (zkLeader + 1));
    awaitResigns(3);

    // 2. It comes back with its data.
    ensemble.startMember(zkLeader);
    ensemble.awaitQuorum(3);
    double afterRestart = awaitValidLeader("after restarting member " + (zkLeader + 1));
    awaitResigns(3);

    // 3. A follower dies.
    int leaderNow = leaderMember().orElseThrow(() -> new AssertionError("no ensemble leader after restart"));
    int follower = (leaderNow + 1) % 3;
    ensemble.stopMember(follower);
    double afterFollowerKill = awaitValidLeader("after killing follower member " + (follower + 1));
    awaitResigns(3);
    ensemble.startMember(follower);
    ensemble.awaitQuorum(3);

    // 4. Quorum lost: two of three down. No term may outlive its session deadline, which lies at most one session
    // timeout after the last moment the service could still confirm the session.
    driving.set(false);
    awaitValidLeader("before quorum loss");
    int a = leaderMember().orElseThrow(() -> new AssertionError("no ensemble leader before quorum loss"));
    int b = (a + 1) % 3;
    ensemble.stopMember(a);
    long quorumLost = System.nanoTime();
    ensemble.stopMember(b);
    long allInvalidBy = quorumLost + SESSION.toNanos();
    while (true) {
      // The clock is read before the check: a term seen valid after this instant was valid past the bound even if
      // this thread is descheduled between the two.
      long now = System.nanoTime();
      if (!anyValid()) {
        break;
      }
      if (now - allInvalidBy > 0) {
        fail("rule 1.3: a term was still valid " + SESSION.toMillis() + " ms after quorum was lost: "
            + validTerms());
      }
      Thread.sleep(2);
    }
    double invalidAfterMs = (System.nanoTime() - quorumLost) / 1e6;
    // Stay without quorum past a whole session timeout: the service cannot confirm anyone meanwhile.
    long downUntil = System.nanoTime() + SESSION.toNanos();
    while (System.nanoTime() - downUntil < 0) {
      assertThat(anyValid()).as("a term valid while the ensemble has no quorum: %s", validTerms()).isFalse();
      Thread.sleep(5);
    }
    ensemble.startMember(a);
    ensemble.awaitQuorum(2);
    long regained = System.nanoTime();
    double recoveryMs = awaitValidLeader("after quorum regained", regained);
    ensemble.startMember(b);
    ensemble.awaitQuorum(3);
    driving.set(true);
    awaitResigns(3);

    stop.set(true);
    driver.join(RECOVERY.toMillis());
    for (var e : candidates.entrySet()) {
      history.close(e.getKey(), e.getValue());
    }
    candidates.clear();
    history.awaitQuiescence(Duration.ofSeconds(10));
    List<History.TermRecord> terms = history.terms();
    long overlaps = history.violations().stream().filter(v -> v.startsWith("rule 1.1")).count();
    System.out.printf("ZooKeeper ensemble faults: %d terms checked, %d resigns, overlaps=%d; leader again %.0f ms "
            + "after killing the ensemble leader, %.0f ms after its restart, %.0f ms after killing a follower; "
            + "quorum lost: all terms invalid after %.0f ms (session %d ms); recovery after quorum regained: %.0f ms%n",
        terms.size(), resigns.get(), overlaps, afterLeaderKill, afterRestart, afterFollowerKill, invalidAfterMs,
        SESSION.toMillis(), recoveryMs);
    history.assertValid();
    assertThat(terms).hasSizeGreaterThan(10);
  }

  /** Resigns whoever leads, over and over, so that the faults hit candidates in the middle of a handoff. */
  private void startHandoffLoop() {
    driving.set(true);
    driver = new Thread(() -> {
      while (!stop.get()) {
        if (driving.get()) {
          for (var e : candidates.entrySet()) {
            if (e.getValue().isLeader()) {
              try {
                history.resign(e.getKey(), e.getValue()).toCompletableFuture()
                    .get(2 * SESSION.toMillis(), TimeUnit.MILLISECONDS);
                resigns.incrementAndGet();
              } catch (Exception ex) {
                // A resign may fail or time out while a member is down; the history still checks every term.
              }
            }
          }
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException ex) {
          return;
        }
      }
    }, "ensemble-handoff-loop");
    driver.setDaemon(true);
    driver.start();
  }

  private void awaitResigns(int n) throws InterruptedException {
    int target = resigns.get() + n;
    long end = System.nanoTime() + RECOVERY.toNanos();
    while (resigns.get() < target) {
      if (System.nanoTime() - end > 0) {
        fail("rule 2.2: fewer than " + n + " handoffs within " + RECOVERY + "; terms: " + history.terms());
      }
      Thread.sleep(10);
    }
  }

  private double awaitValidLeader(String when) throws InterruptedException {
    return awaitValidLeader(when, System.nanoTime());
  }

  /** Waits for a valid term; returns the milliseconds since {@code from}. */
  private double awaitValidLeader(String when, long from) throws InterruptedException {
    long end = from + RECOVERY.toNanos();
    while (!anyValid()) {
      if (System.nanoTime() - end > 0) {
        fail("rule 2.5: no valid leader within " + RECOVERY + " " + when + "; terms: " + history.terms());
      }
      Thread.sleep(5);
    }
    return (System.nanoTime() - from) / 1e6;
  }

  private boolean anyValid() {
    return candidates.values().stream().anyMatch(c -> c.leadership().map(Leadership::isValid).orElse(false));
  }

  private List<String> validTerms() {
    return candidates.values().stream().flatMap(c -> c.leadership().stream()).filter(Leadership::isValid)
        .map(l -> l.candidateId() + " token=" + l.token()).toList();
  }

  /** The member that leads the ensemble, from ZooKeeper's own {@code srvr} four-letter command. */
  private OptionalInt leaderMember() {
    List<String> endpoints = ensemble.endpoints();
    for (int i = 0; i < endpoints.size(); i++) {
      String reply = fourLetter(endpoints.get(i), "srvr");
      if (reply.contains("Mode: leader")) {
        return OptionalInt.of(i);
      }
    }
    return OptionalInt.empty();
  }

  static String fourLetter(String endpoint, String command) {
    int colon = endpoint.lastIndexOf(':');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1))),
          2000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(command.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return "";
    }
  }
}
