package dev.elector.etcd;

import static dev.elector.etcd.TicketNames.bytes;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.elector.ClientConfig;
import dev.elector.Participant;
import dev.elector.etcd.EtcdSession.State;
import dev.elector.spi.TicketCodec;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reads an election's line with each ticket's value, as of one revision, in pages no answer outgrows: for
 * {@code line()} and for each observed line's {@link HeadMirror}. Also how a ticket's value reads as a
 * {@link Participant}. Loop-confined: a read is started and completed on the loop, and keeps no state between reads.
 */
final class LineReader {
  private final EtcdSession session;
  private final Ops ops;
  private final KV kv;
  /** The backend's thread ({@link Loop}). */
  private final Loop loop;
  private final String root;
  /**
   * Keys per page of a read with values: half the answer limit over the largest ticket (data, plus 64 KiB for the
   * candidate id and encoding). 56 at the 512 KiB cap, 409 at the 16 KiB default.
   */
  private final int pageKeys;

  LineReader(EtcdSession session, Ops ops, KV kv, Loop loop, ClientConfig config) {
    this.session = session;
    this.ops = ops;
    this.kv = kv;
    this.loop = loop;
    this.root = config.root();
    this.pageKeys = Math.max(1, (EtcdBackend.MAX_INBOUND_BYTES / 2) / (config.maxDataBytes() + 64 * 1024));
  }

  CompletionStage<List<Participant>> line(String election) {
    CompletableFuture<List<Participant>> out = new CompletableFuture<>();
    loop.run(() -> {
      String what = "reading the line of election '" + election + "'";
      if (session.state() == State.CLOSED) {
        ops.unusable(out, what);
        return;
      }
      readTickets(election, what).whenComplete((r, e) -> {
        if (e != null) {
          out.completeExceptionally(e);
          return;
        }
        List<Participant> line = new ArrayList<>();
        String prefix = TicketNames.prefix(root, election);
        for (KeyValue kv : r.tickets()) {
          line.add(participant(election, kv.getKey().toString(UTF_8).substring(prefix.length()), kv));
        }
        out.complete(List.copyOf(line));
      });
    });
    return out;
  }

  /** The tickets of an election with their values, sorted by create revision, as of one revision. */
  record TicketsRead(List<KeyValue> tickets, long revision) {}

  /**
   * Reads the tickets of {@code election} with their values (SPEC rule 4.8: other keys are dropped) at one revision,
   * in pages of at most {@link #pageKeys} keys each, so that no answer exceeds {@link EtcdBackend#MAX_INBOUND_BYTES}:
   * 130 candidates at 512 KiB are more than one answer may hold, and a read of them all failed every time. Pages go
   * in key order from the previous page's last key, each at the first page's revision. Completes on the loop.
   */
  CompletableFuture<TicketsRead> readTickets(String election, String what) {
    String prefix = TicketNames.prefix(root, election);
    ByteSequence end = TicketNames.rangeEnd(prefix);
    List<KeyValue> tickets = new ArrayList<>();
    CompletableFuture<TicketsRead> out = new CompletableFuture<>();
    readPage(bytes(prefix), end, 0, prefix, tickets, what, out);
    return out;
  }

  private void readPage(ByteSequence from, ByteSequence end, long revision, String prefix, List<KeyValue> tickets,
      String what, CompletableFuture<TicketsRead> out) {
    ops.io(what, () -> kv.get(from, GetOption.builder().withRange(end).withLimit(pageKeys).withRevision(revision)
        .build())).whenComplete((r, e) -> {
          if (e != null) {
            out.completeExceptionally(e);
            return;
          }
          long rev = revision != 0 ? revision : r.getHeader().getRevision();
          List<KeyValue> kvs = r.getKvs();
          for (KeyValue k : kvs) {
            if (TicketNames.ticketName(k.getKey().toString(UTF_8), prefix) != null) {
              tickets.add(k);
            }
          }
          if (r.isMore() && !kvs.isEmpty()) {
            byte[] last = kvs.get(kvs.size() - 1).getKey().getBytes();
            byte[] next = java.util.Arrays.copyOf(last, last.length + 1);
            readPage(ByteSequence.from(next), end, rev, prefix, tickets, what, out);
            return;
          }
          tickets.sort(java.util.Comparator.comparingLong(KeyValue::getCreateRevision));
          out.complete(new TicketsRead(tickets, rev));
        });
  }

  /**
   * The participant a ticket holds. A value Elector cannot decode (a newer Elector's, or overwritten by someone)
   * is listed under the ticket's name with empty data, since it keeps its place in line (SPEC rule 4.8).
   */
  static Participant participant(String election, String name, KeyValue kv) {
    byte[] value = kv.getValue().getBytes();
    try {
      return new Participant(election, TicketCodec.candidateId(value), kv.getCreateRevision(),
          TicketCodec.data(value));
    } catch (IllegalArgumentException e) {
      return new Participant(election, name, kv.getCreateRevision(), new byte[0]);
    }
  }
}
