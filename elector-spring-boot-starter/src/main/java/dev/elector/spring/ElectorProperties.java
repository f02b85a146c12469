package dev.elector.spring;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code elector.*} properties. Only {@code elector.connect} is needed for a client; {@code elector.election}
 * adds a candidate of this application in that election.
 */
@ConfigurationProperties("elector")
public class ElectorProperties {
  /** Whether to configure Elector at all. */
  private boolean enabled = true;
  /**
   * The backend URI, for example {@code zookeeper://127.0.0.1:2181/my-app?sessionTimeout=10s}; its scheme picks the
   * backend module on the class path.
   */
  private String connect;
  /** The election this application's candidate joins; none if unset (a client only, to observe). */
  private String election;
  /** The candidate's id; defaults to {@code <host name>-<process id>}. */
  private String candidateId;
  /** The candidate's data (UTF-8), shown to observers: for example where to reach the leader. */
  private String data = "";
  /**
   * How long a whole-term {@code LeaderTask} bean may take to stop after its term ended before it is reported as an
   * overrun (and the context's stop goes on without it).
   */
  private Duration jobStopTimeout = Duration.ofSeconds(5);

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getConnect() {
    return connect;
  }

  public void setConnect(String connect) {
    this.connect = connect;
  }

  public String getElection() {
    return election;
  }

  public void setElection(String election) {
    this.election = election;
  }

  public String getCandidateId() {
    return candidateId;
  }

  public void setCandidateId(String candidateId) {
    this.candidateId = candidateId;
  }

  public String getData() {
    return data;
  }

  public void setData(String data) {
    this.data = data;
  }

  public Duration getJobStopTimeout() {
    return jobStopTimeout;
  }

  public void setJobStopTimeout(Duration jobStopTimeout) {
    this.jobStopTimeout = jobStopTimeout;
  }
}
