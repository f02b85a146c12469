package dev.elector;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A snapshot of one candidate's place in an election's line.
 *
 * @param election the election's name
 * @param candidateId the candidate's id
 * @param token the fencing token the candidate holds, or will hold when it leads from this place
 * @param data the candidate's application data (a copy)
 */
public record Participant(String election, String candidateId, long token, byte[] data) {
  public Participant {
    Objects.requireNonNull(election, "election");
    Objects.requireNonNull(candidateId, "candidateId");
    data = data == null ? new byte[0] : data.clone();
  }

  /** The data (a copy). */
  @Override
  public byte[] data() {
    return data.clone();
  }

  /** The data decoded as UTF-8. */
  public String dataAsString() {
    return new String(data, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Participant p
        && token == p.token
        && election.equals(p.election)
        && candidateId.equals(p.candidateId)
        && Arrays.equals(data, p.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(election, candidateId, token, Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "Participant[election=" + election + ", candidateId=" + candidateId + ", token=" + token
        + ", data=" + data.length + " bytes]";
  }
}
