package dev.elector.spring;

import static dev.elector.spring.ElectorAutoConfiguration.checked;

import dev.elector.ElectionClient;
import dev.elector.InputRules;
import dev.elector.LeaderTask;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;

/**
 * With {@code elector.election} and an {@link ElectionClient} (auto-configured or the application's own), this
 * application's {@link ElectorCandidate} in that election.
 */
@AutoConfiguration(after = ElectorAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "elector.enabled", matchIfMissing = true)
@ConditionalOnBean(ElectionClient.class)
@ConditionalOnProperty("elector.election")
@EnableConfigurationProperties(ElectorProperties.class)
public class ElectorCandidateAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  public ElectorCandidate electorCandidate(ElectionClient client, ElectorProperties properties,
      ApplicationEventPublisher publisher, ObjectProvider<CandidateBinding> bindings, ListableBeanFactory beans) {
    String id = properties.getCandidateId() == null ? defaultCandidateId()
        : checked("elector.candidate-id", properties.getCandidateId(), InputRules::checkCandidateId);
    String election = checked("elector.election", properties.getElection(), InputRules::checkElectionName);
    Duration jobStopTimeout = checked("elector.job-stop-timeout", properties.getJobStopTimeout(),
        InputRules::checkStopTimeout);
    return new ElectorCandidate(client, election, id, properties.getData(), publisher, bindings,
        () -> beans.getBeansOfType(LeaderTask.class), jobStopTimeout);
  }

  /** {@code <host name>-<process id>}: unique per process on a host, and says where the leader runs. */
  static String defaultCandidateId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "localhost";
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}
