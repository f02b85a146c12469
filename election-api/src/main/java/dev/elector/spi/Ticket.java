package dev.elector.spi;

import java.util.Objects;

/**
 * A candidate's place in an election's line, as created by {@link ElectionBackend#enqueue}.
 *
 * @param election the election's name
 * @param candidateId the candidate's id
 * @param key the backend's key for the ticket (a znode path, an etcd key); unique for all time
 * @param token the fencing token: larger than every earlier ticket's token in this election, also after the
 *     election's parent node was deleted and recreated (a ZooKeeper {@code czxid}, an etcd create revision, a
 *     database sequence value). Tokens must grow in the order tickets become visible in the line: a sequence value
 *     drawn before a concurrent insert commits could put a later ticket in front of a head already elected, so
 *     draw it under a per-line lock held until the commit
 * @param sessionId the id of the session the ticket lives in; the ticket dies with that session
 */
public record Ticket(String election, String candidateId, String key, long token, long sessionId) {
  public Ticket {
    Objects.requireNonNull(election, "election");
    Objects.requireNonNull(candidateId, "candidateId");
    Objects.requireNonNull(key, "key");
  }
}
