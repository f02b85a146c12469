package dev.elector.spring;

import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.InputRules;
import dev.elector.InvalidInputException;
import dev.elector.LeaderTask;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.function.Function;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;

/**
 * An {@link ElectionClient} connected to {@code elector.connect}, and, with {@code elector.election}, this
 * application's {@link ElectorCandidate} in that election. Off with {@code elector.enabled=false} or without
 * {@code elector.connect}. A bean of type {@link ElectionClient} of the application's own replaces the client.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "elector.enabled", matchIfMissing = true)
@ConditionalOnProperty("elector.connect")
@EnableConfigurationProperties(ElectorProperties.class)
public class ElectorAutoConfiguration {

  /** Connects at startup: a wrong URI or an unreachable backend fails the context (see ElectorFailureAnalyzer). */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public ElectionClient electionClient(ElectorProperties properties) {
    return checked("elector.connect", properties.getConnect(), Elections::connect);
  }

  @Bean
  @ConditionalOnProperty("elector.election")
  @ConditionalOnMissingBean
  public ElectorCandidate electorCandidate(ElectionClient client, ElectorProperties properties,
      ApplicationEventPublisher publisher, ObjectProvider<CandidateBinding> bindings, ListableBeanFactory beans) {
    String id = properties.getCandidateId() == null ? defaultCandidateId()
        : checked("elector.candidate-id", properties.getCandidateId(), InputRules::checkCandidateId);
    String election = checked("elector.election", properties.getElection(), InputRules::checkElectionName);
    return new ElectorCandidate(client, election, id, properties.getData(), publisher, bindings,
        () -> beans.getBeansOfType(LeaderTask.class), properties.getJobStopTimeout());
  }

  /** Applies {@code check} to the property's value; a rejection names the property. */
  static <T> T checked(String property, String value, Function<String, T> check) {
    try {
      return check.apply(value);
    } catch (InvalidInputException e) {
      throw new InvalidElectorPropertyException(property, value, e);
    }
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
