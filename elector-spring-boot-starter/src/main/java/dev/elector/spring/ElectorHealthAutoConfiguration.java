package dev.elector.spring;

import dev.elector.ElectionClient;
import java.util.Optional;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.context.annotation.Bean;

/** The {@code elector} health indicator, when the application has Spring Boot's health support (Actuator). */
@AutoConfiguration(after = {ElectorAutoConfiguration.class, ElectorCandidateAutoConfiguration.class})
@ConditionalOnClass(AbstractHealthIndicator.class)
@ConditionalOnBooleanProperty(name = "elector.enabled", matchIfMissing = true)
@ConditionalOnBean(ElectionClient.class)
@ConditionalOnEnabledHealthIndicator("elector")
public class ElectorHealthAutoConfiguration {

  @Bean(name = "electorHealthIndicator")
  @ConditionalOnMissingBean(name = "electorHealthIndicator")
  public ElectorHealthIndicator electorHealthIndicator(ElectionClient client, Optional<ElectorCandidate> candidate) {
    return new ElectorHealthIndicator(client, candidate);
  }
}
