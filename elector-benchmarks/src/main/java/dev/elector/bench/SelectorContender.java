package dev.elector.bench;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;

/**
 * Curator's {@code LeaderSelector}: leadership lasts while {@code takeLeadership} runs; returning from it resigns
 * (with auto-requeue), closing the selector interrupts it. The adapter cancels leadership on SUSPENDED and LOST.
 */
final class SelectorContender extends CuratorContender {
  SelectorContender(String endpoint, Duration sessionTimeout) throws InterruptedException {
    super(endpoint, sessionTimeout, "/curator-selector");
  }

  @Override
  public String name() {
    return "Curator LeaderSelector";
  }

  @Override
  public Session session(String ep) throws Exception {
    CuratorFramework c = start(ep);
    return new CuratorSession(c) {
      private final List<SelectorMember> members = new CopyOnWriteArrayList<>();

      @Override
      public Member join(String election, String id, Elected onElected) {
        SelectorMember m = new SelectorMember(id);
        members.add(m);
        LeaderSelector s = new LeaderSelector(client, path(election), new LeaderSelectorListenerAdapter() {
          @Override
          public void takeLeadership(CuratorFramework cf) throws Exception {
            long now = System.nanoTime();
            m.holding = true;
            try {
              onElected.elected(m, now);
              m.release.acquire();
            } finally {
              m.holding = false;
            }
          }
        });
        s.setId(id);
        s.autoRequeue();
        m.selector = s;
        s.start();
        return m;
      }

      /**
       * Closes the selectors before the client: a LeaderSelector with auto-requeue whose client is closed under it
       * retries in a tight loop on its own thread for good, which slowed every later scenario of the run.
       */
      @Override
      public void close() {
        for (SelectorMember m : members) {
          try {
            m.selector.close();
          } catch (RuntimeException alreadyClosed) {
            // close() throws if the member closed it already.
          }
        }
        super.close();
      }
    };
  }

  static final class SelectorMember implements Member {
    private final String id;
    final Semaphore release = new Semaphore(0);
    volatile boolean holding;
    volatile LeaderSelector selector;

    SelectorMember(String id) {
      this.id = id;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public void close() {
      selector.close();
    }

    @Override
    public void resign() {
      release.release();
    }

    @Override
    public boolean leads() {
      return holding;
    }

    /** The selector does not expose its lock node; started is the best it tells. */
    @Override
    public boolean joined() {
      return true;
    }
  }
}
