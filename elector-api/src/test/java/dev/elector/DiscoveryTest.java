package dev.elector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.internal.Discovery;
import dev.elector.spi.BackendListener;
import dev.elector.spi.ElectionBackend;
import dev.elector.spi.ElectionProvider;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SPEC rule 4.4: discovery never fails quietly. */
class DiscoveryTest {

  /** A provider that would connect nowhere: discovery only looks at its scheme. */
  static class FakeProvider implements ElectionProvider {
    private final String scheme;

    FakeProvider(String scheme) {
      this.scheme = scheme;
    }

    @Override
    public String scheme() {
      return scheme;
    }

    @Override
    public String artifact() {
      return "test:fake-" + scheme;
    }

    @Override
    public Set<String> options() {
      return Set.of("username");
    }

    @Override
    public ElectionBackend connect(ClientConfig config, BackendListener listener) {
      throw new BackendUnavailableException("fake");
    }
  }

  @Test
  void findsTheProviderByScheme() {
    ElectionProvider zk = new FakeProvider("zookeeper");
    assertThat(Discovery.select("zookeeper", List.of(new FakeProvider("etcd"), zk))).isSameAs(zk);
  }

  @Test
  void noProviderAtAllNamesTheArtifactToAdd() {
    assertThatThrownBy(() -> Discovery.select("zookeeper", List.of()))
        .isInstanceOf(ProviderException.class)
        .hasMessageContaining("No Elector backend is on the class path")
        .hasMessageContaining("dev.elector:elector-zookeeper");
  }

  @Test
  void unknownSchemeNamesWhatWasFound() {
    assertThatThrownBy(() -> Discovery.select("consul", List.of(new FakeProvider("etcd"))))
        .isInstanceOf(ProviderException.class)
        .hasMessageContaining("No Elector backend serves scheme 'consul'")
        .hasMessageContaining("etcd (" + FakeProvider.class.getName() + ")");
  }

  @Test
  void twoProvidersForOneSchemeIsAnError() {
    assertThatThrownBy(() -> Discovery.select("etcd", List.of(new FakeProvider("etcd"), new FakeProvider("etcd"))))
        .isInstanceOf(ProviderException.class)
        .hasMessageContaining("Several Elector backends serve scheme 'etcd'")
        .hasMessageContaining("test:fake-etcd");
  }

  @Test
  void aProviderThatFailsToLoadIsReportedByName(@TempDir Path dir) throws Exception {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    Files.writeString(services.resolve(ElectionProvider.class.getName()), "com.example.MissingProvider\n");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      assertThatThrownBy(() -> Discovery.providers(loader))
          .isInstanceOf(ProviderException.class)
          .hasMessageContaining("com.example.MissingProvider");
    }
  }

  @Test
  void connectWithNoBackendOnTheClassPathSaysWhichArtifactToAdd() {
    // elector-api's own tests have no backend on the class path.
    assertThatThrownBy(() -> Elections.connect("etcd://127.0.0.1:2379/app"))
        .isInstanceOf(ProviderException.class)
        .hasMessageContaining("dev.elector:elector-etcd");
    assertThatThrownBy(() -> Elections.connect("postgresql://127.0.0.1:5432/app/elector"))
        .isInstanceOf(ProviderException.class)
        .hasMessageContaining("dev.elector:elector-postgres");
  }

  @Test
  void unknownOptionIsRejectedBeforeConnecting() {
    ClientConfig config = ClientConfig.parse("zookeeper://h:2181/app?colour=blue");
    assertThatThrownBy(() -> Discovery.validate(new FakeProvider("zookeeper"), config))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'colour'")
        .hasMessageContaining("[username]");
  }
}
