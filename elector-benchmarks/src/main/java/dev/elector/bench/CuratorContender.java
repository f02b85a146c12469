package dev.elector.bench;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;

/** What Curator's two recipes share: sessions are CuratorFrameworks, the line is the recipe's znode's children. */
abstract class CuratorContender implements Contender {
  private final String endpoint;
  private final Duration sessionTimeout;
  private final CuratorFramework control;
  private final String base;

  CuratorContender(String endpoint, Duration sessionTimeout, String base) throws InterruptedException {
    this.endpoint = endpoint;
    this.sessionTimeout = sessionTimeout;
    this.base = base;
    this.control = start(endpoint);
  }

  final CuratorFramework start(String ep) throws InterruptedException {
    CuratorFramework c = CuratorFrameworkFactory.builder()
        .connectString(ep)
        .sessionTimeoutMs((int) sessionTimeout.toMillis())
        .connectionTimeoutMs(2_000)
        .retryPolicy(new RetryNTimes(3, 100))
        // The tracker watches /zookeeper/config: a watch no election needs, which would blur the herd counts.
        .ensembleTracker(false)
        .build();
    c.start();
    if (!c.blockUntilConnected(10, TimeUnit.SECONDS)) {
      c.close();
      throw new IllegalStateException("Curator could not connect to " + ep);
    }
    return c;
  }

  final String path(String election) {
    return base + "/" + election;
  }

  @Override
  public Session session() throws Exception {
    return session(endpoint);
  }

  @Override
  public int lineSize(String election) throws Exception {
    try {
      return control.getChildren().forPath(path(election)).size();
    } catch (KeeperException.NoNodeException e) {
      return 0;
    }
  }

  @Override
  public boolean elector() {
    return false;
  }

  @Override
  public void close() {
    control.close();
  }

  abstract static class CuratorSession implements Session {
    final CuratorFramework client;

    CuratorSession(CuratorFramework client) {
      this.client = client;
    }

    @Override
    public long sessionId() {
      try {
        return client.getZookeeperClient().getZooKeeper().getSessionId();
      } catch (Exception e) {
        return 0;
      }
    }

    @Override
    public void close() {
      client.close();
    }
  }
}
