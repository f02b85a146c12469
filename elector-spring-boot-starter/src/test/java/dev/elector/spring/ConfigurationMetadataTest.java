package dev.elector.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** The annotation processor's metadata, which IDEs complete the properties from, lists every property described. */
class ConfigurationMetadataTest {

  @Test
  void everyPropertyIsListedWithADescription() throws Exception {
    Map<String, JsonNode> byName = new HashMap<>();
    try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
      assertThat(in).as("generated metadata").isNotNull();
      for (JsonNode p : new ObjectMapper().readTree(in).get("properties")) {
        byName.put(p.get("name").asString(), p);
      }
    }
    assertThat(byName).containsOnlyKeys("elector.enabled", "elector.connect", "elector.election",
        "elector.candidate-id", "elector.data", "elector.job-stop-timeout", "management.health.elector.enabled");
    assertThat(byName.values()).allSatisfy(p -> assertThat(p.get("description").asString()).isNotBlank());
    assertThat(byName.get("elector.job-stop-timeout").get("defaultValue").asString()).isEqualTo("5s");
  }
}
