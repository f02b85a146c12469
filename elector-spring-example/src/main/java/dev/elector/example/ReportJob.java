package dev.elector.example;

import dev.elector.Leadership;
import dev.elector.spring.LeaderContext;
import dev.elector.spring.LeaderOnly;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** A job every instance schedules and only the leader runs; it logs and counts its runs. */
@Component
public class ReportJob {
  private static final Logger LOG = LoggerFactory.getLogger(ReportJob.class);

  private final AtomicLong runs = new AtomicLong();

  @Scheduled(fixedDelayString = "${example.report-every:2s}")
  @LeaderOnly
  public void report() {
    Leadership term = LeaderContext.currentTerm().orElseThrow();
    long n = runs.incrementAndGet();
    LOG.info("report #{} by {} under term {} (fencing token)", n, term.candidateId(), term.token());
  }

  /** How many times this instance ran the job. */
  public long runs() {
    return runs.get();
  }
}
