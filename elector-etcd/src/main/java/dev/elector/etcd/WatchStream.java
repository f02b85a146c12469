package dev.elector.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToLongFunction;

/**
 * The session's one gRPC watch stream, carrying any number of watches (etcd multiplexes them by watch id), so that a
 * session can watch exactly the keys it cares about (each waiter its predecessor, each ticket its own key, each
 * observed election its prefix) without a stream per watch: thousands of streams on the session's one HTTP/2
 * connection starve its lease renewals.
 *
 * <p>Loop-confined: every method is called on the backend's loop, and every {@link Listener} call happens there.
 * gRPC's callbacks hop onto it.
 *
 * <p>Invariants: a watch delivers every event on its range with a revision at or above its start, once, in revision
 * order, until it is cancelled or {@link Listener#lost lost}. When the stream breaks, each watch resumes on the next
 * stream from the revision after the last event it delivered, so a break loses nothing and callers never see it;
 * only a compaction past that revision (or the server refusing the watch) loses a watch. Created responses come in
 * the order of the create requests on a stream (etcd handles a stream's requests one at a time), which is how each
 * create learns its server-assigned id.
 */
final class WatchStream {
  private static final System.Logger LOG = System.getLogger(WatchStream.class.getName());
  /** etcd's gRPC metadata asking the member to end the stream when it has no Raft leader. */
  private static final Metadata.Key<String> REQUIRE_LEADER =
      Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);

  /** Told what a watch sees; called on the loop. */
  interface Listener {
    /**
     * The watch is in place on the server, which was at {@code revision} then. Called once, before any event. A
     * watch from revision 0 ("now") sees every event after {@code revision}: what happened before it must be read.
     */
    default void started(long revision) {}

    void events(List<Event> events);

    /** The watch is gone for good (compacted past, or refused): what it would have seen must be read again. */
    void lost(String why);
  }

  /**
   * One watch; identity matters. Its key is the String the caller already holds (a ticket's key, a predecessor's
   * name read from the line): one watch lives per waiting candidate, and a copy of the key in etcd's byte types cost
   * about 120 bytes per watch. The bytes are made only when the watch is sent.
   */
  static final class Handle {
    private final String key;
    /** The end of a range watch; null for a watch of {@link #key} alone. */
    private final String rangeEnd;
    private final boolean deletesOnly;
    private final Listener listener;
    /** The revision this watch starts (or resumes) from; 0 (now) until a watch from now is in place. */
    private long next;
    private boolean started;
    /** The server's id on the current stream; -1 while none. */
    private long id = -1;
    private boolean cancelled;

    private Handle(String key, String rangeEnd, boolean deletesOnly, long from, Listener listener) {
      this.key = key;
      this.rangeEnd = rangeEnd;
      this.deletesOnly = deletesOnly;
      this.next = from;
      this.listener = listener;
    }
  }

  private final ChannelTap tap;
  private final Loop loop;
  private final IntToLongFunction backoffMillis;
  private final Set<Handle> active = new LinkedHashSet<>();
  private final Map<Long, Handle> byId = new HashMap<>();
  /** Creates sent on the current stream, oldest first, awaiting their created response. */
  private final ArrayDeque<Handle> creating = new ArrayDeque<>();
  private ClientCall<WatchRequest, WatchResponse> call;
  private Object gen;
  private boolean reopening;
  private int failures;
  private boolean closed;

  WatchStream(ChannelTap tap, Loop loop, IntToLongFunction backoffMillis) {
    this.tap = tap;
    this.loop = loop;
    this.backoffMillis = backoffMillis;
  }

  /**
   * Watches deletes of exactly {@code key}, from revision {@code from} on, or from now if {@code from} is 0. A watch
   * from a revision the store has passed is served by etcd's catch-up loop, which runs every 100 ms; a watch from
   * now is served as events commit.
   */
  Handle watchDeletes(String key, long from, Listener listener) {
    return watch(new Handle(key, null, true, from, listener));
  }

  /** Watches every change of the keys from {@code key} (inclusive) to {@code rangeEnd} (exclusive), as above. */
  Handle watchRange(String key, String rangeEnd, long from, Listener listener) {
    return watch(new Handle(key, rangeEnd, false, from, listener));
  }

  private Handle watch(Handle h) {
    if (closed) {
      h.cancelled = true;
      return h;
    }
    active.add(h);
    if (call != null) {
      sendCreate(h);
    } else if (!reopening) {
      open();
    }
    return h;
  }

  /** Stops a watch; no listener call of it follows. Null and repeated calls are ignored. */
  void cancel(Handle h) {
    if (h == null || h.cancelled) {
      return;
    }
    h.cancelled = true;
    active.remove(h);
    if (h.id >= 0) {
      byId.remove(h.id);
      send(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(h.id)).build());
      h.id = -1;
    }
  }

  /** For tests and measurements: the watches open on this session. */
  int size() {
    return active.size();
  }

  void close() {
    closed = true;
    gen = null;
    active.clear();
    byId.clear();
    creating.clear();
    if (call != null) {
      call.cancel("the etcd backend is closed", null);
      call = null;
    }
  }

  private void open() {
    Channel channel = tap.channel();
    if (channel == null) {
      throw new IllegalStateException("jetcd made no call yet: no channel to watch on");
    }
    CallOptions options = CallOptions.DEFAULT;
    CallCredentials credentials = tap.credentials();
    if (credentials != null) {
      options = options.withCallCredentials(credentials);
    }
    Object g = new Object();
    gen = g;
    ClientCall<WatchRequest, WatchResponse> c = channel.newCall(WatchGrpc.getWatchMethod(), options);
    Metadata headers = new Metadata();
    headers.put(REQUIRE_LEADER, "true");
    call = c;
    c.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(WatchResponse message) {
        loop.execute(() -> received(g, message));
        c.request(1);
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        loop.execute(() -> broken(g, status));
      }
    }, headers);
    c.request(1);
    for (Handle h : active) {
      sendCreate(h);
    }
  }

  private void sendCreate(Handle h) {
    WatchCreateRequest.Builder create = WatchCreateRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8(h.key))
        .setStartRevision(h.next);
    if (h.rangeEnd != null) {
      create.setRangeEnd(ByteString.copyFromUtf8(h.rangeEnd));
    }
    if (h.deletesOnly) {
      create.addFilters(WatchCreateRequest.FilterType.NOPUT);
    }
    h.id = -1;
    creating.addLast(h);
    send(WatchRequest.newBuilder().setCreateRequest(create).build());
  }

  private void send(WatchRequest request) {
    if (call != null) {
      call.sendMessage(request);
    }
  }

  private void received(Object g, WatchResponse r) {
    if (g != gen) {
      return;
    }
    failures = 0;
    if (r.getCreated()) {
      Handle h = creating.pollFirst();
      if (h == null) {
        return;
      }
      if (r.getCanceled()) {
        if (!h.cancelled) {
          active.remove(h);
          h.cancelled = true;
          h.listener.lost("etcd refused the watch on " + h.key + ": " + r.getCancelReason());
        }
        return;
      }
      if (h.cancelled) {
        send(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder()
            .setWatchId(r.getWatchId())).build());
        return;
      }
      h.id = r.getWatchId();
      byId.put(h.id, h);
      long revision = r.getHeader().getRevision();
      if (h.next == 0) {
        // From now: a resume must start right after this, not at the resume's "now".
        h.next = revision + 1;
      }
      if (!h.started) {
        h.started = true;
        h.listener.started(revision);
      }
      return;
    }
    Handle h = byId.get(r.getWatchId());
    if (h == null || h.cancelled) {
      return;
    }
    if (r.getCanceled()) {
      byId.remove(h.id);
      active.remove(h);
      h.cancelled = true;
      h.id = -1;
      h.listener.lost(r.getCompactRevision() > 0
          ? "etcd compacted its history past revision " + h.next + " (now at " + r.getCompactRevision() + ")"
          : "etcd cancelled the watch on " + h.key + ": " + r.getCancelReason());
      return;
    }
    List<Event> events = r.getEventsList();
    if (events.isEmpty()) {
      return;
    }
    h.next = events.get(events.size() - 1).getKv().getModRevision() + 1;
    h.listener.events(events);
  }

  private void broken(Object g, Status status) {
    if (g != gen || closed) {
      return;
    }
    LOG.log(System.Logger.Level.DEBUG, "etcd watch stream ended (" + status + "); resuming its "
        + active.size() + " watches on a new one");
    gen = null;
    call = null;
    byId.clear();
    creating.clear();
    for (Handle h : active) {
      h.id = -1;
    }
    reopening = true;
    failures++;
    loop.schedule(() -> {
      reopening = false;
      if (!closed && call == null) {
        open();
      }
    }, backoffMillis.applyAsLong(failures), TimeUnit.MILLISECONDS);
  }
}
