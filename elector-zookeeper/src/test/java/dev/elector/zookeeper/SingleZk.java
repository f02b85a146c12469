package dev.elector.zookeeper;

import dev.elector.testservers.InProcessZooKeeper;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An in-process ZooKeeper server ({@link InProcessZooKeeper}: a free loopback port, a temp data dir) for one test class:
 * started before its first test, stopped and deleted after its last.
 *
 * <pre>{@code @RegisterExtension static final SingleZk zk = new SingleZk();}</pre>
 */
final class SingleZk implements BeforeAllCallback, AfterAllCallback {
  private InProcessZooKeeper server;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    server = InProcessZooKeeper.start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (server != null) {
      server.close();
      server = null;
    }
  }

  /** The running server. */
  InProcessZooKeeper server() {
    if (server == null) {
      throw new IllegalStateException("SingleZk used outside its test class's lifetime (register it with"
          + " @RegisterExtension on a static field)");
    }
    return server;
  }
}
