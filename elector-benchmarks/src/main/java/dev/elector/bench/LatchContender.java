package dev.elector.bench;

import java.io.IOException;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;

/** Curator's {@code LeaderLatch}. It has no resign: resigning is close and a new latch with the same id. */
final class LatchContender extends CuratorContender {
  LatchContender(String endpoint, Duration sessionTimeout) throws InterruptedException {
    super(endpoint, sessionTimeout, "/curator-latch");
  }

  @Override
  public String name() {
    return "Curator LeaderLatch";
  }

  @Override
  public Session session(String ep) throws Exception {
    CuratorFramework c = start(ep);
    return new CuratorSession(c) {
      @Override
      public Member join(String election, String id, Elected onElected) throws Exception {
        LatchMember m = new LatchMember(client, path(election), id, onElected);
        m.start();
        return m;
      }
    };
  }

  static final class LatchMember implements Member {
    private final CuratorFramework client;
    private final String path;
    private final String id;
    private final Elected onElected;
    private volatile LeaderLatch latch;

    LatchMember(CuratorFramework client, String path, String id, Elected onElected) {
      this.client = client;
      this.path = path;
      this.id = id;
      this.onElected = onElected;
    }

    void start() throws Exception {
      LeaderLatch l = new LeaderLatch(client, path, id);
      l.addListener(new LeaderLatchListener() {
        @Override
        public void isLeader() {
          onElected.elected(LatchMember.this, System.nanoTime());
        }

        @Override
        public void notLeader() {}
      });
      latch = l;
      l.start();
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public void close() throws IOException {
      latch.close();
    }

    @Override
    public void resign() throws Exception {
      latch.close();
      start();
    }

    @Override
    public boolean leads() {
      return latch.hasLeadership();
    }

    @Override
    public boolean joined() {
      return latch.getOurPath() != null;
    }
  }
}
