package dev.elector.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.BackendUnavailableException;
import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS with the options {@code tls=true}, {@code caFile}, {@code certFile} and {@code keyFile}, against an etcd that
 * requires client certificates. The certificates are made for the test with {@code openssl}.
 */
class EtcdTlsTest {
  static Path certs;
  static EtcdCluster etcd;

  @BeforeAll
  static void start() throws Exception {
    certs = Files.createTempDirectory("elector-etcd-tls-");
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
        "-subj", "/CN=elector-test-ca");
    issue("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    issue("client", "extendedKeyUsage=clientAuth\n");
    etcd = EtcdCluster.start(1, new EtcdCluster.Tls(certs.resolve("ca.crt"), certs.resolve("server.crt"),
        certs.resolve("server.key")));
  }

  private static void issue(String name, String extensions) throws Exception {
    Files.writeString(certs.resolve(name + ".ext"), extensions);
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
        "-subj", "/CN=" + name);
    openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", name + ".crt", "-days", "1", "-extfile", name + ".ext");
  }

  private static void openssl(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(certs.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("openssl " + String.join(" ", args) + " failed:\n" + out);
    }
  }

  @AfterAll
  static void stop() throws IOException {
    if (etcd != null) {
      etcd.close();
    }
    if (certs != null) {
      try (Stream<Path> files = Files.walk(certs)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static ClientConfig.Builder config() {
    return ClientConfig.builder("etcd").endpoints(etcd.endpoints()).root("/tls")
        .sessionTimeout(Duration.ofSeconds(2)).connectTimeout(Duration.ofSeconds(3))
        .option("tls", "true").option("caFile", certs.resolve("ca.crt").toString());
  }

  @Test
  void aClientWithTheCaAndACertificateCampaigns() throws Exception {
    ClientConfig c = config().option("certFile", certs.resolve("client.crt").toString())
        .option("keyFile", certs.resolve("client.key").toString()).build();
    try (ElectionClient client = Elections.connect(c); Candidate me = client.election("e").join("me")) {
      assertThat(me.awaitLeadership(Duration.ofSeconds(10)).isValid()).isTrue();
    }
  }

  @Test
  void withoutAClientCertificateTheServerRefusesTheConnection() {
    assertThatThrownBy(() -> Elections.connect(config().build())).isInstanceOf(BackendUnavailableException.class);
  }

  @Test
  void tlsFilesNeedTlsAndMustExist() {
    assertThatThrownBy(() -> Elections.connect(ClientConfig.builder("etcd").endpoints(etcd.endpoints())
        .option("caFile", certs.resolve("ca.crt").toString()).build()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("tls=true");
    assertThatThrownBy(() -> Elections.connect(config().option("caFile", "/nonexistent/ca.pem").build()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("/nonexistent/ca.pem");
    assertThatThrownBy(() -> Elections.connect(config().option("certFile", "/x.crt").build()))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("keyFile");
  }
}
