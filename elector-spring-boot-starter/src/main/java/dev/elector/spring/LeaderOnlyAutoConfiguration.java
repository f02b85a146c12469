package dev.elector.spring;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * {@link LeaderOnly} support, always on with the starter: without a candidate, a {@link LeaderOnly} method never runs,
 * which is safer than running it on every instance.
 */
@AutoConfiguration
public class LeaderOnlyAutoConfiguration {

  @Bean
  static LeaderOnlyPostProcessor leaderOnlyPostProcessor() {
    return new LeaderOnlyPostProcessor();
  }
}
