package dev.elector.example;

import dev.elector.ElectionClient;
import dev.elector.Leadership;
import dev.elector.Participant;
import dev.elector.spring.ElectorCandidate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /leader}: who leads the election now, and this instance's role and job count. */
@RestController
public class LeaderController {
  private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(2);

  private final ElectionClient client;
  private final ElectorCandidate candidate;
  private final ReportJob job;

  public LeaderController(ElectionClient client, ElectorCandidate candidate, ReportJob job) {
    this.client = client;
    this.candidate = candidate;
    this.job = job;
  }

  @GetMapping("/leader")
  public Map<String, Object> leader() throws Exception {
    Optional<Participant> leader = client.election(candidate.election()).leader().toCompletableFuture()
        .get(QUERY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    Optional<Leadership> term = candidate.validTerm();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("election", candidate.election());
    out.put("leader", leader.map(Participant::candidateId).orElse(null));
    out.put("leaderData", leader.map(Participant::dataAsString).orElse(null));
    out.put("me", candidate.candidateId());
    out.put("role", term.isPresent() ? "LEADER" : "FOLLOWER");
    out.put("token", term.map(Leadership::token).orElse(null));
    out.put("session", client.sessionState().name());
    out.put("reportRuns", job.runs());
    return out;
  }
}
