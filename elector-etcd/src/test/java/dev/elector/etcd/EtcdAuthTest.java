package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.AccessDeniedException;
import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.Leadership;
import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Username/password authentication against an etcd with auth enabled and a role limited to one prefix. */
class EtcdAuthTest {
  private static final String PASSWORD = "s3cret-Pa55";
  static EtcdCluster etcd;

  @BeforeAll
  static void startEtcdWithAuth() throws Exception {
    etcd = EtcdCluster.start(1);
    try (Client admin = Client.builder().endpoints("http://" + etcd.endpoint(0)).build()) {
      Auth auth = admin.getAuthClient();
      auth.roleAdd(b("root")).get(5, TimeUnit.SECONDS);
      auth.userAdd(b("root"), b("root-pw")).get(5, TimeUnit.SECONDS);
      auth.userGrantRole(b("root"), b("root")).get(5, TimeUnit.SECONDS);
      auth.roleAdd(b("app")).get(5, TimeUnit.SECONDS);
      auth.roleGrantPermission(b("app"), b("/app/"), b("/app0"), Permission.Type.READWRITE).get(5, TimeUnit.SECONDS);
      auth.userAdd(b("app"), b(PASSWORD)).get(5, TimeUnit.SECONDS);
      auth.userGrantRole(b("app"), b("app")).get(5, TimeUnit.SECONDS);
      auth.authEnable().get(5, TimeUnit.SECONDS);
    }
  }

  @AfterAll
  static void stop() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private static ByteSequence b(String s) {
    return ByteSequence.from(s, UTF_8);
  }

  private static ClientConfig config(String root, String user, String password) {
    return ClientConfig.builder("etcd").endpoints(etcd.endpoints()).root(root).sessionTimeout(Duration.ofSeconds(2))
        .connectTimeout(Duration.ofSeconds(3)).option("username", user).option("password", password).build();
  }

  @Test
  void aUserWithPermissionOnTheRootCanCampaign() throws Exception {
    try (ElectionClient client = Elections.connect(config("/app", "app", PASSWORD));
        Candidate c = client.election("e").join("c")) {
      Leadership term = c.awaitLeadership(Duration.ofSeconds(10));
      assertThat(term.isValid()).isTrue();
      assertThat(client.election("e").participants().toCompletableFuture().get(5, TimeUnit.SECONDS)).hasSize(1);
    }
  }

  @Test
  void aWrongPasswordIsRefusedWithoutShowingIt() {
    assertThatThrownBy(() -> Elections.connect(config("/app", "app", "wrong-password-xyz")))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessageNotContaining("wrong-password-xyz");
  }

  @Test
  void aRootOutsideTheUsersPermissionIsRefused() throws Exception {
    try (ElectionClient client = Elections.connect(config("/other", "app", PASSWORD))) {
      var backend = new EtcdElectionProvider().connect(config("/other", "app", PASSWORD), new Recorder());
      try {
        var join = backend.enqueue("e", "c", new byte[0]).toCompletableFuture();
        assertThatThrownBy(() -> join.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
            .cause().isInstanceOf(AccessDeniedException.class).hasMessageNotContaining(PASSWORD);
      } finally {
        backend.close();
      }
      assertThat(client.sessionId()).isNotZero();
    }
  }
}
