package dev.elector.mem;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.Election;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import java.time.Duration;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A null argument is a programming error: NullPointerException naming the parameter, as the JDK's APIs throw. */
class NullArgumentsTest {
  private ElectionClient client;

  @BeforeEach
  void setUp() {
    client = Elections.connect(ClientConfig.builder("mem").endpoints("nulls-" + UUID.randomUUID()).build());
  }

  @AfterEach
  void tearDown() {
    client.close();
  }

  private static void npe(String parameter, ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOf(NullPointerException.class).hasMessage(parameter);
  }

  @Test
  void everyPublicEntryPointRejectsNullWithNullPointerExceptionNamingTheParameter() {
    npe("uri", () -> Elections.connect((String) null));
    npe("config", () -> Elections.connect((ClientConfig) null));
    npe("election name", () -> client.election(null));
    npe("executor", () -> client.addSessionListener(null, (state, id) -> {}));
    npe("listener", () -> client.addSessionListener(Runnable::run, null));
    Election e = client.election("jobs");
    npe("candidateId", () -> e.candidate(null));
    npe("candidateId", () -> e.join(null));
    npe("executor", () -> e.observe(null, leader -> {}));
    npe("observer", () -> e.observe(Runnable::run, null));
    Candidate.Builder b = e.candidate("b");
    npe("data", () -> b.data((byte[]) null));
    npe("data", () -> b.data((String) null));
    npe("executor", () -> b.listener(null, null));
    Candidate a = e.join("a");
    npe("data", () -> a.updateData(null));
    npe("listener", () -> a.addListener(Runnable::run, null));
    npe("timeout", () -> a.awaitLeadership(null));
  }

  @Test
  void configBuilderSettersRejectNull() {
    ClientConfig.Builder b = ClientConfig.builder("mem");
    npe("scheme", () -> ClientConfig.builder(null));
    npe("uri", () -> ClientConfig.parse(null));
    npe("endpoints", () -> b.endpoints((java.util.List<String>) null));
    npe("endpoint", () -> b.endpoints("a", null));
    npe("root", () -> b.root(null));
    npe("sessionTimeout", () -> b.sessionTimeout(null));
    npe("connectTimeout", () -> b.connectTimeout(null));
    npe("operationTimeout", () -> b.operationTimeout(null));
    npe("name", () -> b.option(null, "v"));
    npe("value", () -> b.option("colour", null));
    npe("name", () -> b.endpoints("x").sessionTimeout(Duration.ofSeconds(1)).build().option(null));
  }
}
