package dev.elector.spi.support;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.InvalidInputException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC rule 4.3 for endpoints: checked before any I/O, the error names the value and the rule. */
class EndpointsTest {
  @ParameterizedTest
  @ValueSource(strings = {"localhost:2379", "127.0.0.1:1", "[::1]:65535", "etcd-0.etcd.svc_x:2379", "h:80"})
  void wellFormedEndpointsPass(String endpoint) {
    assertThatCode(() -> Endpoints.check(endpoint, 2379)).doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", ":2379", "localhost:", "localhost:0", "localhost:65536", "localhost:+80",
      "localhost:080", "localhost:http", "::1:2379", "-host:2379", "ho st:2379", "[::1:2379"})
  void malformedEndpointsAreRejectedNamingTheValueAndTheRule(String endpoint) {
    assertThatThrownBy(() -> Endpoints.check(endpoint, 2379)).isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(endpoint)
        .hasMessageContaining("must be host:port with a port from 1 to 65535, for example 127.0.0.1:2379");
  }
}
