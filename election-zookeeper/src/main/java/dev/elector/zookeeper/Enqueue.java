package dev.elector.zookeeper;

import static dev.elector.zookeeper.TicketNames.SEQ_MARK;
import static dev.elector.zookeeper.TicketNames.exhausted;
import static dev.elector.zookeeper.TicketNames.parentOf;
import static dev.elector.zookeeper.TicketNames.sequence;

import dev.elector.ElectorException;
import dev.elector.spi.Ticket;
import dev.elector.spi.TicketCodec;
import dev.elector.zookeeper.ZkSession.Handle;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;

/**
 * The orphan-proof create of a ticket (SPEC rule 1.5: never an orphan, never two tickets). Each call names its node
 * {@code <uuid>-n_} with a fresh uuid, its nonce. After a connection loss the create may or may not have been
 * applied, so the retry first looks for a node carrying this call's uuid (after a {@code sync}) and adopts it; a
 * create applied after that look leaves a twin, which {@link HeadWait} removes once it lists the line.
 */
final class Enqueue {
  private final Ops ops;
  private final Acls acls;
  private final Tickets tickets;
  private final HeadWait waits;
  private final String root;
  /** Creates that were found again by their uuid after a connection loss instead of being made twice. */
  private final AtomicLong recoveredCreates;

  Enqueue(Ops ops, Acls acls, Tickets tickets, HeadWait waits, String root, AtomicLong recoveredCreates) {
    this.ops = ops;
    this.acls = acls;
    this.tickets = tickets;
    this.waits = waits;
    this.root = root;
    this.recoveredCreates = recoveredCreates;
  }

  /** Creates a ticket for {@code candidateId} at the back of {@code election}'s line. Any thread. */
  CompletionStage<Ticket> submit(String election, String candidateId, byte[] data) {
    return ops.submit(new Create(election, candidateId, TicketCodec.encode(candidateId, data)), null);
  }

  /**
   * Creates the ticket node. After a connection loss the create may or may not have been applied, so the retry
   * first looks for a node carrying this call's uuid (rule 1.5: never an orphan, never two tickets).
   */
  private final class Create extends Op<Ticket> {
    final String election;
    final String candidateId;
    final String parent;
    final String uuid = UUID.randomUUID().toString();
    final byte[] bytes;
    TicketState st;
    boolean sent;
    /** A create was sent whose outcome the connection loss hid: it may still be applied after our retry. */
    boolean uncertain;
    int parentAttempts;
    /** NONODE answers while creating the election node's ancestors (each missing one costs one). */
    int missingAncestors;

    Create(String election, String candidateId, byte[] bytes) {
      super(Enqueue.this.ops, "Joining election '" + election + "' as candidate '" + candidateId + "'");
      this.election = election;
      this.candidateId = candidateId;
      this.parent = TicketNames.electionPath(root, election);
      this.bytes = bytes;
    }

    @Override
    void run(Handle s, int a) {
      if (st == null) {
        st = new TicketState(s, waits);
      }
      if (sent) {
        uncertain = true;
        find(s, a);
      } else {
        create(s, a);
      }
    }

    void create(Handle s, int a) {
      sent = true;
      s.zk.create(parent + "/" + uuid + SEQ_MARK, bytes, acls.ticketAcl, CreateMode.EPHEMERAL_SEQUENTIAL,
          (rc, path, ctx, name, stat) -> post(() -> {
            if (stale(a)) {
              return;
            }
            Code code = Code.get(rc);
            if (code == Code.OK) {
              watch(s, a, name);
            } else if (code == Code.NONODE) {
              sent = false; // the parent is missing, so nothing was created
              if (++parentAttempts > 5) {
                result.completeExceptionally(ZkErrors.translate(what + " (its parent kept vanishing)", code, parent));
              } else {
                createParents(s, a, () -> create(s, a));
              }
            } else {
              failed(code, path);
            }
          }), null);
    }

    void find(Handle s, int a) {
      // The reconnect moved the session to this connection, so the leader now refuses the lost create if it had
      // not been applied yet; sync makes the server we talk to apply everything the leader has, so the listing
      // shows the node if and only if it exists.
      s.zk.sync(parent, (rc, path, ctx) -> post(() -> {
        if (stale(a)) {
          return;
        }
        Code code = Code.get(rc);
        if (code == Code.OK || code == Code.NONODE) {
          list(s, a);
        } else {
          failed(code, path);
        }
      }), null);
    }

    void list(Handle s, int a) {
      s.zk.getChildren(parent, false, (rc, path, ctx, children) -> post(() -> {
        if (stale(a)) {
          return;
        }
        Code code = Code.get(rc);
        if (code == Code.NONODE) {
          create(s, a);
          return;
        }
        if (code != Code.OK) {
          failed(code, path);
          return;
        }
        for (String c : children) {
          if (c.startsWith(uuid + SEQ_MARK)) {
            recoveredCreates.incrementAndGet();
            watch(s, a, parent + "/" + c);
            return;
          }
        }
        create(s, a);
      }), null);
    }

    void createParents(Handle s, int a, Runnable then) {
      List<String> paths = new ArrayList<>();
      for (int i = parent.indexOf('/', 1); i > 0; i = parent.indexOf('/', i + 1)) {
        paths.add(parent.substring(0, i));
      }
      paths.add(parent);
      // The election node first: usually only it is missing (a new election under an existing root), and starting at
      // the root would cost a request per ancestor for every new election.
      createChain(s, a, paths, paths.size() - 1, then);
    }

    void createChain(Handle s, int a, List<String> paths, int i, Runnable then) {
      if (i == paths.size()) {
        then.run();
        return;
      }
      // Containers: the server removes an election's node once its last ticket is gone.
      s.zk.create(paths.get(i), new byte[0], acls.parentAcl, CreateMode.CONTAINER, (rc, path, ctx, name) -> post(() -> {
        if (stale(a)) {
          return;
        }
        Code code = Code.get(rc);
        if (code == Code.OK || code == Code.NODEEXISTS) {
          createChain(s, a, paths, i + 1, then);
        } else if (code == Code.NONODE && i > 0 && ++missingAncestors <= 5 + paths.size()) {
          createChain(s, a, paths, i - 1, then); // its parent is missing (or was removed meanwhile): that one first
        } else {
          failed(code, path);
        }
      }), null);
    }

    /** Sets the watch on our new node and learns its czxid and owner in the same round trip. */
    void watch(Handle s, int a, String path) {
      s.zk.getData(path, st, (rc, p, ctx, data, stat) -> post(() -> {
        if (stale(a)) {
          return;
        }
        Code code = Code.get(rc);
        if (code != Code.OK) {
          failed(code, p);
          return;
        }
        if (stat.getEphemeralOwner() != s.id) {
          result.completeExceptionally(new ElectorException(what + " failed: node " + p
              + " carries this call's uuid but belongs to session 0x" + Long.toHexString(stat.getEphemeralOwner())));
          return;
        }
        long seq = sequence(p.substring(p.lastIndexOf('/') + 1));
        if (exhausted(seq)) {
          // Its place in line cannot be told from its name: refuse it rather than risk two tickets each believing
          // it is first. The election node is a container, so the server removes it (and the counter) once empty.
          s.zk.delete(p, -1, (rc2, p2, ctx2) -> {}, null);
          result.completeExceptionally(new ElectorException(what + " failed: the sequence counter of election node "
              + parentOf(p) + " is exhausted (ZooKeeper numbers children with a 32-bit counter that stops at "
              + Integer.MAX_VALUE + "); it resets when the node is deleted, which the server does once no ticket is "
              + "left in it (tokens keep increasing across that: they are zxids)"));
          return;
        }
        st.ticket = new Ticket(election, candidateId, p, stat.getCzxid(), s.id);
        st.seq = seq;
        st.mayHaveTwin = uncertain;
        tickets.add(st);
        result.complete(st.ticket);
      }), null);
    }
  }
}
