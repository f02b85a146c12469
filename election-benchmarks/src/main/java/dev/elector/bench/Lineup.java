package dev.elector.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The contenders on each server. Elector comes first on each; if it cannot be created (its backend module missing
 * from the class path, say) its rows say why and the peers still run.
 */
final class Lineup implements AutoCloseable {
  private final List<Contender> zk = new ArrayList<>();
  private final List<Contender> etcd = new ArrayList<>();
  private final List<Contender> pg = new ArrayList<>();
  final String electorZkProblem;
  final String electorEtcdProblem;
  final String electorPgProblem;

  private final String etcdEndpoint;

  /** Contenders on ZooKeeper and etcd; either endpoint may be null (no contenders on that server). */
  Lineup(String zkEndpoint, String etcdEndpoint) throws Exception {
    this(zkEndpoint, etcdEndpoint, null);
  }

  /** Contenders on the given servers; any endpoint may be null (no contenders on that server). */
  Lineup(String zkEndpoint, String etcdEndpoint, String pgEndpoint) throws Exception {
    this.etcdEndpoint = etcdEndpoint;
    if (zkEndpoint != null) {
      electorZkProblem = add(zk, () -> new ElectorContender("Elector", "zookeeper", zkEndpoint, BenchMain.SESSION,
          zkLines(zkEndpoint)));
      zk.add(new LatchContender(zkEndpoint, BenchMain.SESSION));
      zk.add(new SelectorContender(zkEndpoint, BenchMain.SESSION));
    } else {
      electorZkProblem = null;
    }
    if (etcdEndpoint != null) {
      electorEtcdProblem = add(etcd, () -> new ElectorContender("Elector", "etcd", etcdEndpoint, BenchMain.SESSION,
          etcdLines(etcdEndpoint)));
      etcd.add(new JetcdContender(etcdEndpoint, BenchMain.SESSION));
    } else {
      electorEtcdProblem = null;
    }
    if (pgEndpoint != null) {
      electorPgProblem = add(pg, () -> ElectorContender.postgres(pgEndpoint, BenchMain.SESSION));
      pg.add(new SpringJdbcContender(pgEndpoint, BenchMain.SESSION));
    } else {
      electorPgProblem = null;
    }
    if (electorPgProblem != null) {
      System.out.println("Elector on PostgreSQL is not available: " + electorPgProblem);
    }
    if (electorZkProblem != null) {
      System.out.println("Elector on ZooKeeper is not available: " + electorZkProblem);
    }
    if (electorEtcdProblem != null) {
      System.out.println("Elector on etcd is not available: " + electorEtcdProblem);
    }
  }

  static ElectorContender.LineReader zkLines(String endpoint) throws Exception {
    org.apache.zookeeper.ZooKeeper zk = Floors.zk(endpoint);
    return new ElectorContender.LineReader() {
      @Override
      public int count(String path) throws Exception {
        try {
          return zk.getChildren(path, false).size();
        } catch (org.apache.zookeeper.KeeperException.NoNodeException e) {
          return 0;
        }
      }

      @Override
      public void close() {
        try {
          zk.close();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
  }

  static ElectorContender.LineReader etcdLines(String endpoint) {
    io.etcd.jetcd.Client c = JetcdContender.client(endpoint);
    return new ElectorContender.LineReader() {
      @Override
      public int count(String path) throws Exception {
        return (int) c.getKVClient().get(JetcdContender.bytes(path + "/"),
            io.etcd.jetcd.options.GetOption.builder().isPrefix(true).withCountOnly(true).build())
            .get(10, java.util.concurrent.TimeUnit.SECONDS).getCount();
      }

      @Override
      public void close() {
        c.close();
      }
    };
  }

  interface Factory {
    Contender create() throws Exception;
  }

  private static String add(List<Contender> list, Factory f) {
    try {
      list.add(f.create());
      return null;
    } catch (Exception | LinkageError e) {
      return e.toString();
    }
  }

  private final List<Contender> etcdLong = new ArrayList<>();

  /**
   * Elector and jetcd on the same etcd with a longer lease TTL (created on first use, closed with the lineup). An
   * Elector that cannot be created is left out, as in the main lineup.
   */
  List<Contender> etcdLong(java.time.Duration ttl) throws Exception {
    if (etcdLong.isEmpty()) {
      String problem = add(etcdLong, () -> new ElectorContender("Elector", "etcd", etcdEndpoint, ttl,
          etcdLines(etcdEndpoint)));
      if (problem != null) {
        System.out.println("Elector on etcd (TTL " + ttl.toSeconds() + " s) is not available: " + problem);
      }
      etcdLong.add(new JetcdContender(etcdEndpoint, ttl));
    }
    return etcdLong;
  }

  List<Contender> zk() {
    return zk;
  }

  List<Contender> etcd() {
    return etcd;
  }

  List<Contender> pg() {
    return pg;
  }

  /** The contenders on one backend by its display name (ZooKeeper, etcd, PostgreSQL). */
  List<Contender> on(String backend) {
    return switch (backend) {
      case "ZooKeeper" -> zk;
      case "etcd" -> etcd;
      case "PostgreSQL" -> pg;
      default -> throw new IllegalArgumentException("no backend named " + backend);
    };
  }

  /** Elector on ZooKeeper, or null. */
  ElectorContender electorZk() {
    return zk.isEmpty() || !(zk.get(0) instanceof ElectorContender e) ? null : e;
  }

  ElectorContender electorEtcd() {
    return etcd.isEmpty() || !(etcd.get(0) instanceof ElectorContender e) ? null : e;
  }

  @Override
  public void close() {
    zk.forEach(Contender::close);
    etcd.forEach(Contender::close);
    etcdLong.forEach(Contender::close);
    pg.forEach(Contender::close);
  }
}
