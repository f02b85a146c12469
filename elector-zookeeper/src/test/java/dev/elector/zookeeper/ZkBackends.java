package dev.elector.zookeeper;

import dev.elector.ClientConfig;
import dev.elector.spi.Ticket;
import dev.elector.testservers.InProcessZooKeeper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * For the tests of the SPI backend itself (not the kit: that is {@link ZkFixture}): configs, {@link ZkBackend}s that
 * it closes, and a raw ZooKeeper client for the operator's view.
 */
final class ZkBackends implements AutoCloseable {
  static final Duration SESSION = Duration.ofSeconds(2);
  static final Duration WAIT = Duration.ofSeconds(10);

  final InProcessZooKeeper server;
  private final List<AutoCloseable> closeables = new ArrayList<>();

  ZkBackends(InProcessZooKeeper server) {
    this.server = server;
  }

  static ClientConfig config(String endpoint, String root) {
    return ClientConfig.builder("zookeeper").endpoints(endpoint).root(root).sessionTimeout(SESSION)
        .connectTimeout(Duration.ofSeconds(5)).operationTimeout(Duration.ofSeconds(5)).build();
  }

  ZkBackend backend(String root, Recorder recorder) {
    return backend(config(server.endpoint(), root), recorder);
  }

  ZkBackend backend(ClientConfig config, Recorder recorder) {
    ZkBackend b = (ZkBackend) new ZooKeeperElectionProvider().connect(config, recorder);
    closeables.add(b);
    return b;
  }

  /** A plain ZooKeeper client, as an operator or another process would use. */
  ZooKeeper raw() throws IOException, InterruptedException {
    CountDownLatch up = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(server.endpoint(), 10_000, e -> {
      if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
        up.countDown();
      }
    });
    if (!up.await(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("raw client did not connect");
    }
    closeables.add(zk::close);
    return zk;
  }

  void track(AutoCloseable c) {
    closeables.add(c);
  }

  static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  static Ticket join(ZkBackend b, String election, String id) throws Exception {
    return await(b.enqueue(election, id, id.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  static CompletableFuture<Void> head(ZkBackend b, Ticket t) {
    return b.awaitHead(t).toCompletableFuture();
  }

  @Override
  public void close() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        // best effort: the server goes away next
      }
    }
    closeables.clear();
  }
}
