package dev.elector.spring;

import dev.elector.ElectionClient;
import dev.elector.Subscription;
import dev.elector.micrometer.ElectorMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Elector's meters ({@link ElectorMetrics}) in the application's {@link MeterRegistry}, when elector-micrometer is
 * on the class path: the session meters of the client, the leadership meters of the candidate while it runs, and the
 * observer meters of {@code elector.election}. Candidate ids are not tags (one time series per process would be
 * created); declare an {@link ElectorMetrics} bean of your own to change that.
 */
@AutoConfiguration(after = {ElectorAutoConfiguration.class, ElectorCandidateAutoConfiguration.class},
    afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass({ElectorMetrics.class, MeterRegistry.class})
@ConditionalOnBooleanProperty(name = "elector.enabled", matchIfMissing = true)
@ConditionalOnBean({ElectionClient.class, MeterRegistry.class})
public class ElectorMetricsAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  public ElectorMetrics electorMetrics(MeterRegistry registry) {
    return ElectorMetrics.builder(registry).build();
  }

  /** Session meters of the client, and observer meters of the election if one is configured. */
  @Bean(destroyMethod = "cancel")
  public Subscription electorClientMeters(ElectorMetrics metrics, ElectionClient client,
      ElectorProperties properties) {
    Subscription session = metrics.bind(client);
    if (properties.getElection() == null) {
      return session;
    }
    Subscription observer = metrics.observe(client.election(properties.getElection()));
    return () -> {
      observer.cancel();
      session.cancel();
    };
  }

  /** Leadership meters of the candidate, bound each time it joins. */
  @Bean
  public CandidateBinding electorCandidateMeters(ElectorMetrics metrics) {
    return metrics::bind;
  }
}
