package dev.elector.spring;

import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.InvalidInputException;
import java.util.function.Function;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * An {@link ElectionClient} connected to {@code elector.connect}. Off with {@code elector.enabled=false} or without
 * {@code elector.connect}. A bean of type {@link ElectionClient} of the application's own replaces it (and needs no
 * {@code elector.connect}). {@link ElectorCandidateAutoConfiguration} adds the candidate.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "elector.enabled", matchIfMissing = true)
@EnableConfigurationProperties(ElectorProperties.class)
public class ElectorAutoConfiguration {

  /** Connects at startup: a wrong URI or an unreachable backend fails the context (see the failure analyzers). */
  @Bean(destroyMethod = "close")
  @ConditionalOnProperty("elector.connect")
  @ConditionalOnMissingBean
  public ElectionClient electionClient(ElectorProperties properties) {
    return checked("elector.connect", properties.getConnect(), Elections::connect);
  }

  /** Applies {@code check} to the property's value; a rejection names the property. */
  static <V, T> T checked(String property, V value, Function<V, T> check) {
    try {
      return check.apply(value);
    } catch (InvalidInputException e) {
      throw new InvalidElectorPropertyException(property, String.valueOf(value), e);
    }
  }
}
