package dev.elector.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.elector.AccessDeniedException;
import dev.elector.Candidate;
import dev.elector.ClientConfig;
import dev.elector.ElectionClient;
import dev.elector.Elections;
import dev.elector.spi.ElectionBackend;
import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.auth.Permission;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What {@link EtcdAuthTest} leaves out: a client of another user (whose role covers another prefix) and a
 * client without credentials can neither delete nor overwrite a candidate's key under the election prefix, nor join
 * there, and get a clear error; no password shows in any message or log line meanwhile.
 */
class EtcdAclTest {
  private static final String APP_PW = "app-Pw-2201";
  private static final String OTHER_PW = "other-Pw-3302";
  private static final String ROOT_PW = "root-Pw-4403";
  private static EtcdCluster etcd;

  @BeforeAll
  static void startEtcdWithAuth() throws Exception {
    etcd = EtcdCluster.start(1);
    try (Client admin = Client.builder().endpoints("http://" + etcd.endpoint(0)).build()) {
      Auth auth = admin.getAuthClient();
      auth.roleAdd(b("root")).get(5, TimeUnit.SECONDS);
      auth.userAdd(b("root"), b(ROOT_PW)).get(5, TimeUnit.SECONDS);
      auth.userGrantRole(b("root"), b("root")).get(5, TimeUnit.SECONDS);
      for (String name : List.of("app", "other")) {
        auth.roleAdd(b(name)).get(5, TimeUnit.SECONDS);
        // The role covers exactly the prefix "/<name>/": keys from "/<name>/" up to, not including, "/<name>0".
        auth.roleGrantPermission(b(name), b("/" + name + "/"), b("/" + name + "0"), Permission.Type.READWRITE)
            .get(5, TimeUnit.SECONDS);
        auth.userAdd(b(name), b(name.equals("app") ? APP_PW : OTHER_PW)).get(5, TimeUnit.SECONDS);
        auth.userGrantRole(b(name), b(name)).get(5, TimeUnit.SECONDS);
      }
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
    ClientConfig.Builder b = ClientConfig.builder("etcd").endpoints(etcd.endpoints()).root(root)
        .sessionTimeout(Duration.ofSeconds(3)).connectTimeout(Duration.ofSeconds(3))
        .operationTimeout(Duration.ofSeconds(3));
    if (user != null) {
      b.option("username", user).option("password", password);
    }
    return b.build();
  }

  private static Client raw(String user, String password) {
    var b = Client.builder().endpoints("http://" + etcd.endpoint(0));
    if (user != null) {
      b.user(b(user)).password(b(password));
    }
    return b.build();
  }

  private static Throwable cause(Throwable t) {
    return t instanceof ExecutionException && t.getCause() != null ? t.getCause() : t;
  }

  @Test
  void othersCannotDeleteOrOverwriteACandidatesKeyNorJoin() throws Exception {
    ByteArrayOutputStream logged = new ByteArrayOutputStream();
    PrintStream err = System.err;
    PrintStream out = System.out;
    PrintStream tee = new PrintStream(logged, true, UTF_8);
    System.setErr(tee);
    System.setOut(new PrintStream(new OutputStream() {
      @Override
      public void write(int c) {
        tee.write(c);
        out.write(c);
      }
    }, true, UTF_8));
    try (ElectionClient app = Elections.connect(config("/app", "app", APP_PW));
        Candidate c = app.election("e").join("c");
        Client owner = raw("app", APP_PW);
        Client other = raw("other", OTHER_PW);
        Client anonymous = raw(null, null)) {
      c.awaitLeadership(Duration.ofSeconds(10));
      GetResponse keys = owner.getKVClient().get(b("/app/"), GetOption.builder().isPrefix(true).build())
          .get(5, TimeUnit.SECONDS);
      assertThat(keys.getKvs()).hasSize(1);
      ByteSequence key = keys.getKvs().get(0).getKey();

      for (Client intruder : List.of(other, anonymous)) {
        KV kv = intruder.getKVClient();
        assertThatThrownBy(() -> kv.delete(key).get(5, TimeUnit.SECONDS)).satisfies(t ->
            assertThat(cause(t).getMessage()).containsAnyOf("permission denied", "user name is empty"));
        assertThatThrownBy(() -> kv.put(key, b("mine")).get(5, TimeUnit.SECONDS)).satisfies(t ->
            assertThat(cause(t).getMessage()).containsAnyOf("permission denied", "user name is empty"));
      }
      // The term is untouched: the key is still there and the candidate still leads.
      assertThat(owner.getKVClient().get(key).get(5, TimeUnit.SECONDS).getKvs()).hasSize(1);
      assertThat(c.leadership().orElseThrow().isValid()).isTrue();

      // Joining the application's election as the other user, or without credentials: refused, and said so.
      for (ClientConfig outsider : List.of(config("/app", "other", OTHER_PW), config("/app", null, null))) {
        ElectionBackend backend;
        try {
          backend = new EtcdElectionProvider().connect(outsider, new Recorder());
        } catch (AccessDeniedException refusedAtConnect) {
          System.out.println("outsider refused at connect: " + refusedAtConnect.getMessage());
          assertThat(refusedAtConnect.getMessage()).doesNotContain(APP_PW, OTHER_PW, ROOT_PW);
          continue;
        }
        try {
          var join = backend.enqueue("e", "intruder", new byte[0]).toCompletableFuture();
          assertThatThrownBy(() -> join.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
              .cause().isInstanceOf(AccessDeniedException.class).hasMessageNotContaining(OTHER_PW)
              .hasMessageNotContaining(APP_PW);
          System.out.println("outsider join refused: " + cause(catchOf(join)).getMessage());
        } finally {
          backend.close();
        }
      }
      try (ElectionClient stranger = Elections.connect(config("/app", "other", OTHER_PW));
          Candidate s = stranger.election("e").join("intruder")) {
        // Refused for good: the candidate stops and says why, rather than retrying in silence.
        assertThatThrownBy(() -> s.awaitLeadership(Duration.ofSeconds(10))).isInstanceOf(AccessDeniedException.class)
            .hasMessageNotContaining(OTHER_PW);
        assertThat(s.state()).isEqualTo(dev.elector.CandidateState.CLOSED);
      }
      assertThat(app.election("e").participants().toCompletableFuture().get(5, TimeUnit.SECONDS)).hasSize(1);
    } finally {
      System.setErr(err);
      System.setOut(out);
    }
    String text = logged.toString(UTF_8);
    System.out.printf("captured %d characters of output during refused operations%n", text.length());
    assertThat(text).doesNotContain(APP_PW, OTHER_PW, ROOT_PW);
  }

  private static Throwable catchOf(java.util.concurrent.CompletableFuture<?> f) {
    try {
      f.get(1, TimeUnit.SECONDS);
      return new AssertionError("completed normally");
    } catch (Exception e) {
      return e;
    }
  }
}
