package dev.elector.zookeeper;

import static dev.elector.zookeeper.TicketNames.parentOf;
import static dev.elector.zookeeper.TicketNames.participant;

import dev.elector.Participant;
import dev.elector.SessionLostException;
import dev.elector.zookeeper.ZkSession.Handle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.zookeeper.KeeperException.Code;

/**
 * Reads an election's line: one shared listing for every ticket of a session that waits for its place
 * ({@link Lister}, answered to {@link HeadWait}), and the whole line with each participant's data for
 * {@code line()}. Loop-confined.
 */
final class LineReader {
  private final ZkSession session;
  private final Loop loop;
  private final Ops ops;
  private final String root;
  /** Listings of an election's line sent for waiting tickets: shared by every ticket that waits for the same one. */
  private final AtomicLong lineListings;

  LineReader(ZkSession session, Loop loop, Ops ops, String root, AtomicLong lineListings) {
    this.session = session;
    this.loop = loop;
    this.ops = ops;
    this.root = root;
    this.lineListings = lineListings;
  }

  /** The participants of {@code election} in line order, each with its data. Any thread. */
  CompletionStage<List<Participant>> participants(String election, Duration timeout) {
    return ops.submit(new Participants(election), timeout);
  }

  /**
   * Queues {@code st} (waiting, of the current session, not queued yet) for the next listing of its election: the
   * one in flight may predate what sent it here. {@code waits} gets the answer.
   */
  void next(TicketState st, HeadWait waits) {
    String parent = parentOf(st.ticket.key());
    Lister l = st.handle.listers.get(parent);
    if (l == null) {
      l = new Lister(st.handle, parent, waits);
      st.handle.listers.put(parent, l);
    }
    st.queued = true;
    l.next.add(st);
    if (!l.inFlight) {
      sendListing(l);
    }
  }

  /**
   * The line listings of one election node in one session. Each waiting ticket needs the line to find its
   * predecessor; one getChildren per ticket made N tickets cost N listings of up to N names each, all answered
   * by the server one after another: joining would be quadratic. Instead at most one listing per session
   * and election node is in flight, and its reply serves every ticket that waited for it.
   *
   * <p>A ticket that needs the line while a listing is in flight waits for the next one, never the one in flight:
   * that listing may have been sent before the ticket's create was acknowledged, and then it need not contain the
   * ticket, which would read as lost; likewise it may predate a predecessor's deletion that sent the ticket here.
   * A listing sent after the ask reflects everything this session saw acknowledged before it (the server answers a
   * session's requests in order, from one server of the ensemble), which is all a listing per ticket would give.
   * Listings are not shared between sessions: another session may talk to a server that is behind ours.
   */
  static final class Lister {
    final Handle handle;
    final String parent;
    /** Where the answers go. */
    final HeadWait waits;
    /** Tickets waiting for the next listing to be sent. */
    List<TicketState> next = new ArrayList<>();
    boolean inFlight;

    Lister(Handle handle, String parent, HeadWait waits) {
      this.handle = handle;
      this.parent = parent;
      this.waits = waits;
    }
  }

  private void sendListing(Lister l) {
    List<TicketState> batch = l.next;
    if (batch.isEmpty()) {
      l.handle.listers.remove(l.parent, l); // nothing wanted: no entry kept per election ever listed
      return;
    }
    l.next = new ArrayList<>();
    for (TicketState st : batch) {
      st.queued = false;
    }
    if (!session.up() || l.handle != session.current()) {
      // The session went down after these tickets asked: evaluate parks each until it is up again.
      l.handle.listers.remove(l.parent, l);
      batch.forEach(l.waits::evaluate);
      return;
    }
    // Each ticket's wait generation as of this send: a wait that a later awaitHead superseded ignores the reply.
    int[] gens = new int[batch.size()];
    for (int i = 0; i < gens.length; i++) {
      gens[i] = batch.get(i).gen;
    }
    l.inFlight = true;
    lineListings.incrementAndGet();
    Handle s = l.handle;
    s.zk.getChildren(l.parent, false,
        (rc, path, ctx, children) -> loop.post(() -> onListing(l, batch, gens, rc, children)), null);
  }

  private void onListing(Lister l, List<TicketState> batch, int[] gens, int rc, List<String> children) {
    l.inFlight = false;
    Code code = Code.get(rc);
    Listing line = code == Code.OK ? Listing.of(children) : null;
    for (int i = 0; i < gens.length; i++) {
      TicketState st = batch.get(i);
      // queued: it asked again after this listing was sent, and the next listing answers it.
      if (gens[i] == st.gen && st.waiting() && !st.queued) {
        l.waits.onLine(st, gens[i], code, line);
      }
    }
    if (l.handle == session.current()) {
      sendListing(l); // the tickets that asked while this one was in flight
    }
  }

  private final class Participants extends Op<List<Participant>> {
    final String election;
    final String parent;

    Participants(String election) {
      super(LineReader.this.ops, "Listing the line of election '" + election + "'");
      this.election = election;
      this.parent = TicketNames.electionPath(root, election);
    }

    @Override
    void run(Handle s, int a) {
      s.zk.getChildren(parent, false, (rc, path, ctx, children) -> post(() -> {
        if (stale(a)) {
          return;
        }
        Code code = Code.get(rc);
        if (code == Code.NONODE) {
          result.complete(List.of());
        } else if (code != Code.OK) {
          failed(code, path);
        } else {
          read(s, a, Listing.inLine(children));
        }
      }), null);
    }

    void read(Handle s, int a, List<String> names) {
      if (names.isEmpty()) {
        result.complete(List.of());
        return;
      }
      Participant[] got = new Participant[names.size()];
      int[] left = {names.size()};
      for (int i = 0; i < names.size(); i++) {
        int k = i;
        String name = names.get(i);
        s.zk.getData(parent + "/" + name, false, (rc, path, ctx, data, stat) -> post(() -> {
          if (stale(a)) {
            return;
          }
          Code code = Code.get(rc);
          if (code == Code.OK) {
            got[k] = participant(election, name, data, stat);
          } else if (code != Code.NONODE) { // NONODE: left the line meanwhile
            failed(code, path);
            return;
          }
          if (--left[0] == 0) {
            List<Participant> out = new ArrayList<>();
            for (Participant p : got) {
              if (p != null) {
                out.add(p);
              }
            }
            result.complete(List.copyOf(out));
          }
        }), null);
      }
    }

    @Override
    void expired(SessionLostException e) {
      handle = null; // not tied to a session: run again in the next one
      ops.park(this);
    }
  }
}
