package dev.elector.etcd;

import io.etcd.jetcd.Client;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A single-member etcd (Debian's binary, a free loopback port, a temp data dir) for one test class: started before
 * its first test and stopped, data dir deleted, after its last, with the raw client {@link #admin()} closed first.
 *
 * <pre>{@code @RegisterExtension static final SingleEtcd etcd = new SingleEtcd();}</pre>
 */
final class SingleEtcd implements BeforeAllCallback, AfterAllCallback {
  private EtcdCluster cluster;
  private Client admin;

  @Override
  public void beforeAll(ExtensionContext context) {
    cluster = EtcdCluster.start(1);
  }

  @Override
  public synchronized void afterAll(ExtensionContext context) {
    try {
      if (admin != null) {
        admin.close();
      }
    } finally {
      admin = null;
      if (cluster != null) {
        cluster.close();
        cluster = null;
      }
    }
  }

  /** The member's {@code host:port}; {@code i} is 0. */
  String endpoint(int i) {
    return cluster().endpoint(i);
  }

  List<String> endpoints() {
    return cluster().endpoints();
  }

  /** A Prometheus metric of the member, read from its metrics endpoint. */
  long metric(int i, String name) throws IOException {
    return cluster().metric(i, name);
  }

  /** A raw jetcd client of the member, for what an operator or another tool does; made on first use. */
  synchronized Client admin() {
    if (admin == null) {
      admin = Client.builder().endpoints("http://" + endpoint(0)).build();
    }
    return admin;
  }

  private EtcdCluster cluster() {
    if (cluster == null) {
      throw new IllegalStateException("SingleEtcd used outside its test class's lifetime (register it with"
          + " @RegisterExtension on a static field)");
    }
    return cluster;
  }
}
